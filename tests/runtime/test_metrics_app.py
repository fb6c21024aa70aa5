"""``FastPubSub(metrics=True)``: ``/metrics`` counts what push subscribers did; off by default.

No emulator: push requests are made here. The registry is the process's, so each test uses its
own subscriber labels.
"""

from __future__ import annotations

import base64
import json
import os
import uuid
from pathlib import Path

import pytest
from apps.ops_common import Order, order_spec, serving
from prometheus_client.parser import text_string_to_metric_families

from pubsub_runtime import FastPubSub, Message, PubSubBroker, Retry, _observe
from pubsub_runtime._metrics import multiprocess_dir_for_workers

TOPIC = "metered-orders"


def envelope(data: bytes, message_id: str, attempt: int | None = None) -> bytes:
    message = {"data": base64.b64encode(data).decode(), "messageId": message_id}
    body: dict[str, object] = {"message": message, "subscription": "projects/p/subscriptions/s"}
    if attempt is not None:
        body["deliveryAttempt"] = attempt
    return json.dumps(body).encode()


def samples_of(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_metrics_count_acks_nacks_and_poison_of_a_push_subscriber() -> None:
    broker = PubSubBroker("test-project", topics={TOPIC: order_spec(TOPIC)})
    app = FastPubSub(broker, metrics=True)
    subscription = f"metered-{uuid.uuid4().hex[:8]}"

    @broker.push_subscriber(
        "metered",
        topic_name=TOPIC,
        subscription_name=subscription,
        path="/push",
        dead_letter_topic="metered-dead",
        max_delivery_attempts=5,
    )
    async def take(message: Message[Order]) -> None:
        if message.payload.fail_times:
            raise RuntimeError("failing on purpose")
        if message.payload.amount < 0:
            raise Retry(delay=5)

    spec = order_spec(TOPIC)
    good = spec.encode(Order(order_id="good", amount=1))
    bad = spec.encode(Order(order_id="bad", amount=1, fail_times=1))
    later = spec.encode(Order(order_id="later", amount=-1))
    async with serving(app) as client:
        statuses = [
            (await client.post("/push", content=envelope(data, str(n), attempt))).status_code
            for n, (data, attempt) in enumerate(
                [(good, 1), (good, 1), (good, 2), (bad, 1), (bad, 5), (later, 1), (b"{", 1)]
            )
        ]
        page = await client.get("/metrics")

    assert statuses == [204, 204, 204, 500, 500, 503, 422]
    samples = samples_of(page.text)
    labels = frozenset({"subscription": subscription, "alias": "metered", "topic": TOPIC}.items())

    def value(name: str, **extra: str) -> float:
        return samples[(name, labels | frozenset(extra.items()))]

    assert value("pubsub_messages_received_total") == 7
    assert value("pubsub_messages_acked_total") == 3
    assert value("pubsub_messages_nacked_total") == 4
    assert value("pubsub_messages_decode_failed_total") == 1
    # the nack on the fifth (last allowed) attempt hands the message to the dead-letter topic
    assert value("pubsub_messages_dead_lettered_total", reason="max_delivery_attempts") == 1
    assert value("pubsub_messages_dead_lettered_total", reason="decode_error") == 0
    assert value("pubsub_handler_duration_seconds_count") == 6
    assert value("pubsub_messages_in_flight") == 0
    assert samples[("pubsub_event_loop_lag_seconds", frozenset())] >= 0
    assert page.headers["content-type"].startswith("text/plain")


async def test_metrics_are_off_unless_asked_for() -> None:
    broker = PubSubBroker("test-project", topics={TOPIC: order_spec(TOPIC)})
    app = FastPubSub(broker)

    @broker.push_subscriber("quiet", topic_name=TOPIC, subscription_name="quiet", path="/push")
    async def take(order: Order) -> None: ...

    async with serving(app) as client:
        hooks_while_serving = _observe.hooks
        page = await client.get("/metrics")

    assert page.status_code == 404
    assert hooks_while_serving is None


async def test_metrics_stop_recording_when_the_app_stops() -> None:
    app = FastPubSub(PubSubBroker("test-project"), metrics=True)

    async with serving(app) as client:
        installed_while_serving = _observe.installed()
        page = await client.get("/metrics", headers={"Accept": "application/openmetrics-text"})

    assert len(installed_while_serving) == 1
    assert _observe.installed() == ()
    assert page.headers["content-type"].startswith("application/openmetrics-text")
    assert "pubsub_messages_received" in page.text


def test_several_workers_get_a_fresh_multiprocess_folder_removed_at_exit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    monkeypatch.delenv("prometheus_multiproc_dir", raising=False)

    with multiprocess_dir_for_workers(1) as single:
        assert single is None and "PROMETHEUS_MULTIPROC_DIR" not in os.environ
    with multiprocess_dir_for_workers(2) as folder:
        assert folder is not None and os.environ["PROMETHEUS_MULTIPROC_DIR"] == folder
        assert os.path.isdir(folder)
    assert "PROMETHEUS_MULTIPROC_DIR" not in os.environ
    assert not os.path.exists(folder)


def test_a_multiprocess_folder_set_by_the_user_is_kept(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))

    with multiprocess_dir_for_workers(4) as folder:
        assert folder == str(tmp_path)
    assert os.environ["PROMETHEUS_MULTIPROC_DIR"] == str(tmp_path)
    assert tmp_path.is_dir()
