"""SIGTERM drains the service; a restarted service gets every message it did not finish.

The real command (``python -m pubsub_runtime run``) against the emulator: 300 messages queued,
slow handlers (some slower than the shutdown timeout), SIGTERM mid-way, then a restart on the
same subscription. Every message must be handled at least once across the two runs: nothing
was acked that was not handled.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from apps.reliability_service import start_service
from google.cloud import pubsub_v1

from pubsub_runtime.testing import Emulator

pytestmark = pytest.mark.emulator

APP = "tests.runtime.apps.reliability_drain:app"
SHUTDOWN_TIMEOUT = 2.0
SLOW = 5.0  # some handlers outlast the shutdown timeout: they are cancelled and nacked


def test_sigterm_then_restart_handles_every_queued_message_at_least_once(
    pubsub_emulator: Emulator, tmp_path: Path
) -> None:
    suffix = uuid.uuid4().hex[:12]
    publisher, subscriber = pubsub_v1.PublisherClient(), pubsub_v1.SubscriberClient()
    topic = publisher.topic_path(pubsub_emulator.project_id, f"drain-{suffix}")
    subscription = subscriber.subscription_path(pubsub_emulator.project_id, f"drain-sub-{suffix}")
    publisher.create_topic(name=topic)
    subscriber.create_subscription(name=subscription, topic=topic, ack_deadline_seconds=10)
    subscriber.close()
    durations = [SLOW if i % 10 == 0 else 0.2 for i in range(300)]
    futures = [publisher.publish(topic, str(seconds).encode()) for seconds in durations]
    published = {future.result() for future in futures}
    env = {
        "APP_PROJECT": pubsub_emulator.project_id,
        "APP_TOPIC": topic.rsplit("/", 1)[-1],
        "APP_SUBSCRIPTION": subscription.rsplit("/", 1)[-1],
        "APP_SHUTDOWN_TIMEOUT": str(SHUTDOWN_TIMEOUT),
    }

    first = start_service(APP, tmp_path / "first", env, "first")
    try:
        first.wait(lambda: len(set(first.ids("done"))) >= 40, "40 messages handled")
        assert first.get("/consumers/alive").status_code == 200
        first_exit = first.stop()
    finally:
        first.kill()
    handled_first = set(first.ids("done"))
    cut_short = set(first.ids("start")) - handled_first

    second = start_service(APP, tmp_path / "second", env, "second")
    try:
        second.wait(
            lambda: published <= handled_first | set(second.ids("done")),
            "every message handled by one run or the other",
        )
        second_exit = second.stop()
    finally:
        second.kill()

    assert first_exit == 0, first.log_text()
    assert second_exit == 0, second.log_text()
    assert len(published) == 300
    assert handled_first < published  # the first run was stopped mid-way
    assert cut_short  # some handlers were still running at SIGTERM and did not finish
    assert f"still running after {SHUTDOWN_TIMEOUT:.1f} s" in first.log_text()
    assert cut_short <= set(second.ids("done"))  # nacked at the drain, so delivered again
    assert published <= handled_first | set(second.ids("done"))
    print(
        f"first run: {len(handled_first)} handled, {len(cut_short)} cut short; "
        f"second run: {len(second.ids('done'))} handled, "
        f"{len(handled_first & set(second.ids('done')))} of them again"
    )
