"""``/metrics`` of a two-worker service after a known mix of acks, nacks and poison messages.

The service runs under ``python -m pubsub_runtime run --workers 2`` with prometheus-client's
multiprocess mode (``PROMETHEUS_MULTIPROC_DIR``), so whichever worker answers the scrape, the
page counts the messages of both.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from apps.ops_common import Order, Service, order_spec, running_service
from google.cloud import pubsub_v1
from prometheus_client.parser import text_string_to_metric_families

from pubsub_runtime.testing import Emulator

pytestmark = pytest.mark.emulator

APP = "tests.runtime.apps.ops_metrics:app"
GOOD, FAIL_ONCE, POISON, PUBLISHED = 6, 3, 2, 5


@dataclass
class Run:
    service: Service
    topic: str
    subscription: str
    out_topic: str


Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(service: Service) -> Samples:
    response = service.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


@pytest.fixture(scope="module")
def run(pubsub_emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    suffix = uuid.uuid4().hex[:12]
    topic, subscription = f"metered-{suffix}", f"metered-sub-{suffix}"
    out_topic, dead_letter = f"metered-out-{suffix}", f"metered-dl-{suffix}"
    directory = tmp_path_factory.mktemp("metrics")
    (directory / "marks").mkdir()
    (directory / "prometheus").mkdir()
    env = {
        "APP_PROJECT": pubsub_emulator.project_id,
        "APP_TOPIC": topic,
        "APP_SUBSCRIPTION": subscription,
        "APP_DEAD_LETTER": dead_letter,
        "APP_OUT_TOPIC": out_topic,
        "APP_MARKS": str(directory / "marks"),
        "PROMETHEUS_MULTIPROC_DIR": str(directory / "prometheus"),
    }
    with running_service(APP, directory, env, workers=2) as service:
        yield Run(service, topic, subscription, out_topic)


def test_the_counts_match_what_the_handlers_did(run: Run, pubsub_emulator: Emulator) -> None:
    publisher = pubsub_v1.PublisherClient()
    path = publisher.topic_path(pubsub_emulator.project_id, run.topic)
    spec = order_spec(run.topic)
    futures = [
        publisher.publish(path, spec.encode(Order(order_id=f"good-{i}", amount=i)))
        for i in range(GOOD)
    ]
    futures += [
        publisher.publish(path, spec.encode(Order(order_id=f"flaky-{i}", amount=i, fail_times=1)))
        for i in range(FAIL_ONCE)
    ]
    futures += [publisher.publish(path, json.dumps({"order": i}).encode()) for i in range(POISON)]
    for future in futures:
        future.result()
    assert run.service.post(f"/publish/{PUBLISHED}").status_code == 200

    labels = frozenset(
        {"subscription": run.subscription, "alias": "metered", "topic": run.topic}.items()
    )
    expected = {
        "pubsub_messages_received_total": GOOD + 2 * FAIL_ONCE + POISON,
        "pubsub_messages_acked_total": GOOD + FAIL_ONCE,
        "pubsub_messages_nacked_total": FAIL_ONCE,
        "pubsub_messages_decode_failed_total": POISON,
        "pubsub_handler_duration_seconds_count": GOOD + 2 * FAIL_ONCE,
    }

    def settled() -> bool:
        samples = scrape(run.service)
        handled = samples.get(("pubsub_messages_acked_total", labels), 0)
        poisoned = samples.get(
            ("pubsub_messages_dead_lettered_total", labels | {("reason", "decode_error")}), 0
        )
        return handled >= GOOD + FAIL_ONCE and poisoned >= POISON

    run.service.wait(settled, "every message acked or dead-lettered")
    acks = run.service.lines("ack")
    workers = {pid for _, pid in acks}

    for _ in range(4):  # new connections: either worker may answer, the totals are the same
        samples = scrape(run.service)
        assert {name: samples.get((name, labels)) for name in expected} == expected
        dead_lettered = (
            "pubsub_messages_dead_lettered_total",
            labels | {("reason", "decode_error")},
        )
        assert samples[dead_lettered] == POISON
        assert samples[("pubsub_messages_in_flight", labels)] == 0
        published = frozenset({("topic", run.out_topic)})
        assert samples[("pubsub_messages_published_total", published)] == PUBLISHED
        assert samples[("pubsub_publish_duration_seconds_count", published)] == PUBLISHED
        assert samples[("pubsub_event_loop_lag_seconds", frozenset())] >= 0
    assert len(acks) == GOOD + FAIL_ONCE
    assert len(run.service.lines("nack")) == FAIL_ONCE
    assert workers  # which worker took which message is Pub/Sub's choice; the sum is ours
