"""Tracing through the emulator: the consumer span of a handled message continues the producer's.

Spans are collected with OpenTelemetry's in-memory exporter. The tracer provider is also made
the global one (once per process), because google-cloud-pubsub's own tracing uses the global.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import pytest
from apps.ops_common import Order, order_spec
from google.cloud import pubsub_v1
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from pubsub_runtime import Message, PubSubBroker
from pubsub_runtime._tracing import disable_tracing, enable_tracing
from pubsub_runtime.testing import Emulator

pytestmark = pytest.mark.emulator

WAIT = 30.0  # guards against hangs only
_EXPORTER = InMemorySpanExporter()
_PROVIDER = TracerProvider()
_PROVIDER.add_span_processor(SimpleSpanProcessor(_EXPORTER))


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        trace.set_tracer_provider(_PROVIDER)
    _EXPORTER.clear()
    enable_tracing(_PROVIDER)
    try:
        yield _EXPORTER
    finally:
        disable_tracing()


def one(spans: InMemorySpanExporter, kind: SpanKind, name: str) -> ReadableSpan:
    [span] = [s for s in spans.get_finished_spans() if s.kind == kind and s.name == name]
    return span


async def test_a_handled_message_is_a_child_span_of_its_publish(
    pubsub_emulator: Emulator, unique_name: Callable[[str], str], spans: InMemorySpanExporter
) -> None:
    topic, subscription = unique_name("traced"), unique_name("traced-sub")
    broker = PubSubBroker(pubsub_emulator.project_id, topics={topic: order_spec(topic)})
    tracer = _PROVIDER.get_tracer("test")
    handled: asyncio.Queue[Message[Order]] = asyncio.Queue()

    @broker.subscriber("traced", topic_name=topic, subscription_name=subscription)
    async def handle(message: Message[Order]) -> None:
        with tracer.start_as_current_span("inside the handler"):
            await handled.put(message)

    async with broker:
        message_id = await broker.publish(topic, Order(order_id="t-1", amount=1))
        message = await asyncio.wait_for(handled.get(), WAIT)

    producer = one(spans, SpanKind.PRODUCER, f"{topic} create")
    consumer = one(spans, SpanKind.CONSUMER, f"{subscription} process")
    inner = one(spans, SpanKind.INTERNAL, "inside the handler")
    assert producer.context is not None and consumer.context is not None
    assert consumer.context.trace_id == producer.context.trace_id
    assert consumer.parent is not None and consumer.parent.span_id == producer.context.span_id
    assert inner.parent is not None and inner.parent.span_id == consumer.context.span_id
    assert producer.attributes is not None and consumer.attributes is not None
    assert producer.attributes["messaging.message.id"] == message_id
    assert consumer.attributes["messaging.message.id"] == message_id
    assert consumer.attributes["messaging.destination.name"] == topic
    assert consumer.attributes["messaging.destination.subscription.name"] == subscription
    assert consumer.attributes["messaging.gcp_pubsub.result"] == "ack"
    assert message.attributes["traceparent"] == message.attributes["googclient_traceparent"]
    assert f"{producer.context.span_id:016x}" in message.attributes["traceparent"]


async def test_a_failing_handler_records_its_error_and_the_delivery_attempt(
    pubsub_emulator: Emulator, unique_name: Callable[[str], str], spans: InMemorySpanExporter
) -> None:
    topic, subscription = unique_name("traced"), unique_name("traced-sub")
    broker = PubSubBroker(pubsub_emulator.project_id)
    attempts: asyncio.Queue[int | None] = asyncio.Queue()

    @broker.subscriber(
        "failing",
        topic_name=topic,
        subscription_name=subscription,
        dead_letter_topic=unique_name("traced-dead"),
        min_backoff_delay_secs=0,
        max_backoff_delay_secs=1,
    )
    async def handle(message: Message[bytes]) -> None:
        await attempts.put(message.delivery_attempt)
        if message.delivery_attempt == 1:
            raise ValueError("first attempt fails")

    async with broker:
        await broker.publish(topic, b"payload")
        assert [await asyncio.wait_for(attempts.get(), WAIT) for _ in range(2)] == [1, 2]
        await asyncio.sleep(0.2)  # the second span ends just after the handler returns

    consumers = sorted(
        (s for s in spans.get_finished_spans() if s.kind == SpanKind.CONSUMER),
        key=lambda s: s.start_time or 0,
    )
    assert [s.attributes["messaging.gcp_pubsub.message.delivery_attempt"] for s in consumers] == [
        1,
        2,
    ]  # type: ignore[index]
    failed, succeeded = consumers
    assert failed.status.status_code == trace.StatusCode.ERROR
    assert [event.name for event in failed.events] == ["exception"]
    assert (
        failed.attributes is not None and failed.attributes["messaging.gcp_pubsub.result"] == "nack"
    )
    assert succeeded.status.status_code == trace.StatusCode.UNSET


async def test_a_trace_started_by_google_cloud_pubsub_continues_in_the_handler(
    pubsub_emulator: Emulator, unique_name: Callable[[str], str], spans: InMemorySpanExporter
) -> None:
    topic, subscription = unique_name("interop"), unique_name("interop-sub")
    broker = PubSubBroker(pubsub_emulator.project_id)
    handled: asyncio.Queue[Message[bytes]] = asyncio.Queue()

    @broker.subscriber("interop", topic_name=topic, subscription_name=subscription)
    async def handle(message: Message[bytes]) -> None:
        await handled.put(message)

    async with broker:
        options = pubsub_v1.types.PublisherOptions(enable_open_telemetry_tracing=True)
        publisher = pubsub_v1.PublisherClient(publisher_options=options)
        path = publisher.topic_path(pubsub_emulator.project_id, topic)
        await asyncio.to_thread(lambda: publisher.publish(path, b"from google").result())
        message = await asyncio.wait_for(handled.get(), WAIT)

    assert "traceparent" not in message.attributes  # google-cloud-pubsub writes its own name
    google_create = one(spans, SpanKind.PRODUCER, f"{topic} create")
    consumer = one(spans, SpanKind.CONSUMER, f"{subscription} process")
    assert google_create.instrumentation_scope is not None
    assert google_create.instrumentation_scope.name == "google.cloud.pubsub_v1"
    assert consumer.parent is not None and google_create.context is not None
    assert consumer.parent.span_id == google_create.context.span_id


async def test_without_tracing_nothing_is_added_to_messages(
    pubsub_emulator: Emulator, unique_name: Callable[[str], str]
) -> None:
    topic, subscription = unique_name("untraced"), unique_name("untraced-sub")
    broker = PubSubBroker(pubsub_emulator.project_id)
    handled: asyncio.Queue[Message[bytes]] = asyncio.Queue()

    @broker.subscriber("untraced", topic_name=topic, subscription_name=subscription)
    async def handle(message: Message[bytes]) -> None:
        await handled.put(message)

    async with broker:
        await broker.publish(topic, b"plain", attributes={"k": "v"})
        message = await asyncio.wait_for(handled.get(), WAIT)

    assert message.attributes == {"k": "v"}
