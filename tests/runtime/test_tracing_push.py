"""Tracing of push deliveries (no emulator: the requests are made here) and how it is enabled."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import pytest
from apps.ops_common import Order, order_spec, serving
from opentelemetry import propagate
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from pubsub_runtime import FastPubSub, Message, PubSubBroker, _observe
from pubsub_runtime._tracing import Tracing, disable_tracing, enable_tracing

TOPIC = "traced-orders"


@pytest.fixture
def provider() -> Iterator[tuple[TracerProvider, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    enable_tracing(provider)
    try:
        yield provider, exporter
    finally:
        disable_tracing()


def envelope(order: Order, attributes: dict[str, str], attempt: int = 1) -> bytes:
    message = {
        "data": base64.b64encode(order_spec(TOPIC).encode(order)).decode(),
        "messageId": "m-1",
        "attributes": attributes,
    }
    body = {"message": message, "subscription": "s", "deliveryAttempt": attempt}
    return json.dumps(body).encode()


async def test_a_pushed_message_continues_the_trace_in_its_attributes(
    provider: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    tracer_provider, exporter = provider
    broker = PubSubBroker("test-project", topics={TOPIC: order_spec(TOPIC)})
    app = FastPubSub(broker)

    @broker.push_subscriber(
        "traced", topic_name=TOPIC, subscription_name="traced-push", path="/push"
    )
    async def take(message: Message[Order]) -> None:
        if message.payload.fail_times:
            raise RuntimeError("failing on purpose")

    with tracer_provider.get_tracer("publisher").start_as_current_span("upstream") as upstream:
        carrier: dict[str, str] = {}
        propagate.inject(carrier)
    async with serving(app) as client:
        ok = await client.post("/push", content=envelope(Order(order_id="a", amount=1), carrier))
        google_style = {f"googclient_{key}": value for key, value in carrier.items()}
        failed = await client.post(
            "/push", content=envelope(Order(order_id="b", amount=1, fail_times=1), google_style, 3)
        )

    assert (ok.status_code, failed.status_code) == (204, 500)
    consumers = [s for s in exporter.get_finished_spans() if s.kind == SpanKind.CONSUMER]
    assert [s.name for s in consumers] == ["traced-push process"] * 2
    for span in consumers:
        assert span.parent is not None
        assert span.parent.span_id == upstream.get_span_context().span_id
    first, second = consumers
    assert first.attributes is not None and second.attributes is not None
    assert first.attributes["messaging.gcp_pubsub.result"] == "ack"
    assert second.attributes["messaging.gcp_pubsub.result"] == "nack"
    assert second.attributes["messaging.gcp_pubsub.message.delivery_attempt"] == 3
    assert second.status.status_code == StatusCode.ERROR


async def test_a_poison_push_gets_an_error_span(
    provider: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    _, exporter = provider
    broker = PubSubBroker("test-project", topics={TOPIC: order_spec(TOPIC)})
    app = FastPubSub(broker)

    @broker.push_subscriber("traced", topic_name=TOPIC, subscription_name="sub", path="/push")
    async def take(order: Order) -> None: ...

    body = json.dumps({"message": {"data": "e30=", "messageId": "p-1"}, "subscription": "s"})
    async with serving(app) as client:
        response = await client.post("/push", content=body)

    assert response.status_code == 422
    [span] = exporter.get_finished_spans()
    assert span.status.status_code == StatusCode.ERROR
    assert span.attributes is not None
    assert span.attributes["messaging.gcp_pubsub.result"] == "decode_error"


async def test_the_environment_variable_turns_tracing_on_at_startup(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PUBSUB_RUNTIME_TRACING", "1")
    app = FastPubSub(PubSubBroker("test-project"))
    try:
        async with serving(app):
            observers = _observe.installed()
    finally:
        disable_tracing()

    assert [type(o) for o in observers] == [Tracing]
    assert _observe.hooks is None


def test_tracing_is_off_by_default() -> None:
    assert _observe.hooks is None
