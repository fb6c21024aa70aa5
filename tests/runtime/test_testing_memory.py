"""TestBroker: typed and untyped handlers in memory, acks, nacks, redelivery, dead letters.

No emulator: the in-memory broker is a product feature for users' unit tests. The topics are
real ``TopicSpec`` instances over hand-written models and schemas, so the codec path is real.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from typing import Any

import pytest
from google.api_core.exceptions import InvalidArgument
from pydantic import BaseModel, ConfigDict, Field

from pubsub_runtime import DecodeError, Message, PubSubBroker, TopicSpec
from pubsub_runtime._retry import Drop, Retry
from pubsub_runtime.testing import TestBroker


class Order(BaseModel):
    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True)

    order_id: str = Field(alias="orderId")
    quantity: int
    note: str | None = None


ORDER_AVRO = json.dumps(
    {
        "type": "record",
        "name": "Order",
        "namespace": "shop",
        "fields": [
            {"name": "orderId", "type": "string"},
            {"name": "quantity", "type": "int"},
            {"name": "note", "type": ["null", "string"], "default": None},
        ],
    }
)


def order_spec(name: str = "orders", encoding: str = "BINARY") -> TopicSpec[Order]:
    return TopicSpec(
        name=name,
        model=Order,
        schema_type="AVRO",
        encoding=encoding,
        definition=ORDER_AVRO,
        named_types={"shop.Order": Order},
    )


def make_broker(*specs: TopicSpec[Any]) -> PubSubBroker:
    return PubSubBroker("test-project", topics={spec.name: spec for spec in specs})


ORDER = Order(order_id="o-1", quantity=3, note="gift")


@pytest.fixture(autouse=True)
def _no_emulator(monkeypatch: pytest.MonkeyPatch) -> None:
    # Anything that escaped the in-memory broker would fail instead of reaching an emulator.
    monkeypatch.delenv("PUBSUB_EMULATOR_HOST", raising=False)


@pytest.mark.parametrize("encoding", ["BINARY", "JSON"])
async def test_typed_handler_receives_the_decoded_model_and_acks(encoding: str) -> None:
    spec = order_spec(encoding=encoding)
    broker = make_broker(spec)
    received: list[Order] = []

    @broker.subscriber("orders-handler", topic_name="orders", subscription_name="orders-sub")
    async def handle(order: Order) -> None:
        received.append(order)

    async with TestBroker(broker) as tb:
        message_id = await broker.publish("orders", ORDER)
        await tb.drain()

    assert received == [ORDER]
    [published] = tb.published("orders")
    assert published.id == message_id
    assert published.data == spec.encode(ORDER)  # the bytes Pub/Sub would receive
    assert published.attributes == dict(spec.attributes)
    assert published.payload == ORDER
    [delivery] = tb.acked("orders-sub")
    assert delivery.message.id == message_id
    assert delivery.payload == ORDER
    assert delivery.attempt == 1
    assert delivery.handled
    assert tb.nacked("orders-sub") == []


async def test_message_handler_gets_data_attributes_and_payload() -> None:
    spec = order_spec()
    broker = make_broker(spec)
    received: list[Message[Order]] = []

    @broker.subscriber("raw", topic_name="orders", subscription_name="orders-sub")
    async def handle(message: Message[Order]) -> None:
        received.append(message)

    async with TestBroker(broker) as tb:
        await broker.publish("orders", ORDER, attributes={"source": "web"}, ordering_key="c-1")
        await tb.drain()

    [message] = received
    assert message.payload == ORDER
    assert message.data == spec.encode(ORDER)
    assert message.attributes == {**spec.attributes, "source": "web"}
    assert message.ordering_key == "c-1"
    assert message.delivery_attempt is None  # Pub/Sub only counts with a dead-letter policy
    assert message.publish_time == tb.published("orders")[0].publish_time


async def test_unregistered_topic_delivers_bytes_without_payload() -> None:
    broker = make_broker()
    received: list[Message[Any]] = []

    @broker.subscriber("events", topic_name="events", subscription_name="events-sub")
    async def handle(message: Message[Any]) -> None:
        received.append(message)

    async with TestBroker(broker) as tb:
        await broker.publish("events", {"kind": "ping", "n": 1})
        await broker.publish("events", "plain text")
        await tb.drain()

    assert [json.loads(received[0].data), received[1].data] == [
        {"kind": "ping", "n": 1},
        b"plain text",
    ]
    assert all(m.payload is None for m in received)
    assert [p.payload for p in tb.published("events")] == [None, None]


async def test_nacked_message_is_redelivered_with_the_next_attempt() -> None:
    broker = make_broker(order_spec())
    calls: list[int | None] = []

    @broker.subscriber("flaky", topic_name="orders", subscription_name="orders-sub")
    async def handle(message: Message[Order]) -> None:
        calls.append(message.delivery_attempt)
        if len(calls) < 3:
            raise ConnectionError(f"database down (call {len(calls)})")

    async with TestBroker(broker) as tb:
        await broker.publish("orders", ORDER)
        await tb.drain()

    deliveries = tb.deliveries("orders-sub")
    assert [(d.attempt, d.outcome) for d in deliveries] == [
        (1, "nacked"),
        (2, "nacked"),
        (3, "acked"),
    ]
    assert [str(d.exception) for d in tb.nacked("orders-sub")] == [
        "database down (call 1)",
        "database down (call 2)",
    ]
    assert len({d.message.id for d in deliveries}) == 1  # the same message each time
    assert calls == [None, None, None]  # no dead-letter policy: Pub/Sub sends no count


async def test_dead_letter_after_max_delivery_attempts_with_pubsub_attributes() -> None:
    broker = make_broker(order_spec())
    attempts: list[int | None] = []
    dead: list[Message[Any]] = []

    @broker.subscriber(
        "failing",
        topic_name="orders",
        subscription_name="orders-sub",
        dead_letter_topic="orders-dlq",
        max_delivery_attempts=5,
    )
    async def handle(message: Message[Order]) -> None:
        attempts.append(message.delivery_attempt)
        raise ValueError("cannot handle")

    @broker.subscriber("dead", topic_name="orders-dlq", subscription_name="orders-dlq-sub")
    async def handle_dead(message: Message[Any]) -> None:
        dead.append(message)

    async with TestBroker(broker) as tb:
        message_id = await broker.publish("orders", ORDER, attributes={"source": "web"})
        await tb.drain()

    assert attempts == [1, 2, 3, 4, 5]
    outcomes = [d.outcome for d in tb.deliveries("orders-sub")]
    assert outcomes == ["nacked"] * 4 + ["dead_lettered"]
    [last] = tb.dead_lettered("orders-sub")
    assert last.attempt == 5
    assert last.dead_letter_topic == "orders-dlq"
    assert isinstance(last.exception, ValueError)
    assert tb.dead_lettered("orders-dlq") == [last]
    assert tb.dead_lettered("failing") == [last]  # by alias too

    original = tb.published("orders")[0]
    [forwarded] = tb.published("orders-dlq")
    assert forwarded.id != message_id
    assert forwarded.data == original.data
    assert forwarded.payload is None  # the dead-letter topic is not registered
    assert forwarded.attributes == {
        **original.attributes,
        "CloudPubSubDeadLetterSourceDeliveryCount": "5",
        "CloudPubSubDeadLetterSourceSubscription": "orders-sub",
        "CloudPubSubDeadLetterSourceSubscriptionProject": "test-project",
        "CloudPubSubDeadLetterSourceTopicPublishTime": original.publish_time.strftime(
            "%Y-%m-%dT%H:%M:%S."
        )
        + f"{original.publish_time.microsecond // 1000:03d}Z",
    }
    [dead_message] = dead
    assert dead_message.id == forwarded.id
    assert dead_message.attributes == forwarded.attributes
    assert tb.acked("orders-dlq-sub")[0].message is dead_message


@pytest.mark.parametrize(("bound", "expected_attempts"), [(None, 11), (0, 1), (3, 4)])
async def test_without_dead_letter_topic_redelivery_stops_at_the_bound(
    bound: int | None, expected_attempts: int
) -> None:
    broker = make_broker(order_spec())

    @broker.subscriber("failing", topic_name="orders", subscription_name="orders-sub")
    async def handle(order: Order) -> None:
        raise RuntimeError("always")

    test_broker = (
        TestBroker(broker) if bound is None else TestBroker(broker, max_redeliveries=bound)
    )
    async with test_broker as tb:
        await broker.publish("orders", ORDER)
        await tb.drain()

    deliveries = tb.deliveries("orders-sub")
    assert [d.attempt for d in deliveries] == list(range(1, expected_attempts + 1))
    assert [d.outcome for d in deliveries] == ["nacked"] * (expected_attempts - 1) + ["abandoned"]
    assert tb.nacked("orders-sub") == deliveries
    assert tb.dead_lettered("orders-sub") == []
    assert tb.acked() == []


async def test_poison_payload_is_logged_nacked_and_never_reaches_the_handler(
    caplog: pytest.LogCaptureFixture,
) -> None:
    broker = make_broker(order_spec())
    handled: list[Order] = []

    @broker.subscriber(
        "orders",
        topic_name="orders",
        subscription_name="orders-sub",
        dead_letter_topic="orders-dlq",
        max_delivery_attempts=5,
    )
    async def handle(order: Order) -> None:
        handled.append(order)

    caplog.set_level(logging.ERROR, logger="pubsub_runtime")
    async with TestBroker(broker) as tb:
        poison_id = await tb.publish("orders", b"\xff\xfe not avro", attributes={"x": "1"})
        await tb.drain()

    assert handled == []
    [published] = tb.published("orders")
    assert published.payload is None
    assert isinstance(published.decode_error, DecodeError)
    deliveries = tb.deliveries("orders-sub")
    assert [d.outcome for d in deliveries] == ["nacked"] * 4 + ["dead_lettered"]
    assert all(not d.handled and isinstance(d.exception, DecodeError) for d in deliveries)
    assert tb.published("orders-dlq")[0].data == b"\xff\xfe not avro"
    decode_logs = [r for r in caplog.records if "does not decode" in r.getMessage()]
    assert len(decode_logs) == 5
    assert poison_id in decode_logs[0].getMessage()


async def test_deliver_injects_into_one_subscription_only() -> None:
    broker = make_broker(order_spec())
    seen: dict[str, list[Order]] = {"a": [], "b": []}

    @broker.subscriber("a", topic_name="orders", subscription_name="orders-a")
    async def handle_a(order: Order) -> None:
        seen["a"].append(order)

    @broker.subscriber("b", topic_name="orders", subscription_name="orders-b")
    async def handle_b(order: Order) -> None:
        seen["b"].append(order)

    spec = order_spec(encoding="JSON")
    async with TestBroker(broker) as tb:
        # A topic bound to a schema may deliver JSON-encoded Avro: Pub/Sub says so.
        await tb.deliver(
            "orders-b", spec.encode(ORDER), attributes={"googclient_schemaencoding": "JSON"}
        )
        await tb.drain()

    assert seen == {"a": [], "b": [ORDER]}
    assert tb.published() == []  # it did not go through a topic


async def test_drain_raise_errors_reraises_the_first_handler_exception_once() -> None:
    broker = make_broker(order_spec())

    @broker.subscriber("strict", topic_name="orders", subscription_name="orders-sub")
    async def handle(order: Order) -> None:
        if order.quantity < 0:
            raise ValueError(f"negative quantity {order.quantity}")

    async with TestBroker(broker, max_redeliveries=1) as tb:
        await broker.publish("orders", ORDER)
        await tb.drain(raise_errors=True)  # nothing failed
        await broker.publish("orders", Order(order_id="o-2", quantity=-1))
        with pytest.raises(ValueError, match="negative quantity -1") as info:
            await tb.drain(raise_errors=True)
        assert any("orders-sub" in note for note in info.value.__notes__)
        await tb.drain(raise_errors=True)  # already reported
        await tb.drain()  # not asked

    assert [d.outcome for d in tb.deliveries()] == ["acked", "nacked", "abandoned"]


async def test_raise_errors_default_from_the_constructor_includes_decode_errors() -> None:
    broker = make_broker(order_spec())

    @broker.subscriber("orders", topic_name="orders", subscription_name="orders-sub")
    async def handle(order: Order) -> None:
        return None

    async with TestBroker(broker, raise_errors=True, max_redeliveries=0) as tb:
        await tb.publish("orders", b"garbage")
        with pytest.raises(DecodeError):
            await tb.drain()


async def test_publish_to_a_topic_without_subscribers_is_recorded() -> None:
    broker = make_broker(order_spec())
    async with TestBroker(broker) as tb:
        await broker.publish("orders", ORDER)
        await broker.publish("audit", b"nobody listens")
        await tb.drain()
    assert [p.topic for p in tb.published()] == ["orders", "audit"]
    assert tb.published("projects/test-project/topics/audit")[0].data == b"nobody listens"
    assert tb.published("elsewhere") == []
    assert tb.deliveries() == []


async def test_unknown_subscription_is_a_clear_error() -> None:
    broker = make_broker(order_spec())

    @broker.subscriber("orders", topic_name="orders", subscription_name="orders-sub")
    async def handle(order: Order) -> None:
        return None

    async with TestBroker(broker) as tb:
        with pytest.raises(KeyError, match="orders-sub"):
            tb.acked("order-sub")
        with pytest.raises(KeyError, match="no subscriber"):
            await tb.deliver("missing", b"x")


async def test_what_pubsub_refuses_is_refused() -> None:
    broker = make_broker()
    async with TestBroker(broker) as tb:
        with pytest.raises(InvalidArgument, match="data or at least one attribute"):
            await broker.publish("events", b"")
        with pytest.raises(InvalidArgument, match="reserved"):
            await broker.publish("events", b"x", attributes={"googfoo": "1"})
        with pytest.raises(TypeError, match="str to str"):
            await broker.publish("events", b"x", attributes={"n": 1})  # type: ignore[dict-item]
        with pytest.raises(TypeError, match=r"broker\.publish"):
            await tb.publish("events", ORDER)  # type: ignore[arg-type]
    assert tb.published() == []


async def test_broker_is_restored_on_exit_even_after_an_error() -> None:
    broker = make_broker(order_spec())
    publisher = broker._publisher

    @broker.subscriber("orders", topic_name="orders", subscription_name="orders-sub")
    async def handle(order: Order) -> None:
        return None

    state_before = dict(vars(broker))
    with pytest.raises(LookupError):
        async with TestBroker(broker):
            assert broker._wire is not None  # plugged into the in-memory wire
            assert "start" not in vars(broker)  # not patched: the broker's own start runs
            raise LookupError("test body failed")

    assert vars(broker) == state_before
    assert broker._publisher is publisher
    assert broker._wire is None
    assert "start" not in vars(broker)
    assert type(broker).start is PubSubBroker.start
    async with TestBroker(broker):  # and it can be used again
        pass
    assert vars(broker) == state_before


async def test_starting_the_broker_inside_opens_no_connection() -> None:
    broker = make_broker(order_spec())
    received: list[Order] = []

    @broker.subscriber("orders", topic_name="orders", subscription_name="orders-sub")
    async def handle(order: Order) -> None:
        received.append(order)

    async with TestBroker(broker) as tb, broker:
        await broker.publish("orders", ORDER)
        await tb.drain()
    assert received == [ORDER]
    assert not broker.started


async def test_starting_inside_still_checks_the_codecs() -> None:
    broken = TopicSpec(name="orders", model=Order, schema_type="AVRO", definition="{not json")
    broker = make_broker(broken)

    @broker.subscriber("orders", topic_name="orders", subscription_name="orders-sub")
    async def handle(order: Order) -> None:
        return None

    async with TestBroker(broker):
        with pytest.raises(ValueError, match="codec"):
            await broker.start()


async def test_one_test_broker_per_broker_at_a_time() -> None:
    broker = make_broker()
    async with TestBroker(broker):
        with pytest.raises(RuntimeError, match="already under another TestBroker"):
            async with TestBroker(broker):
                pass
    tb = TestBroker(broker)
    with pytest.raises(RuntimeError, match="async with"):
        await tb.drain()


def test_pytest_does_not_collect_it() -> None:
    assert TestBroker.__test__ is False


def test_a_test_broker_can_be_reused_across_event_loops() -> None:
    broker = make_broker(order_spec())
    received: list[Order] = []

    @broker.subscriber("orders", topic_name="orders", subscription_name="orders-sub")
    async def handle(order: Order) -> None:
        received.append(order)

    tb = TestBroker(broker)  # e.g. made once at module level, used by tests on fresh loops

    async def one_test() -> None:
        async with tb:
            await broker.publish("orders", ORDER)
            await tb.drain()

    asyncio.run(one_test())
    asyncio.run(one_test())
    assert received == [ORDER, ORDER]
    assert len(tb.acked("orders-sub")) == 2


def set_options(broker: PubSubBroker, alias: str, **changes: Any) -> None:
    """Change a subscriber's options after decoration (options the decorator may not take)."""
    [subscriber] = [s for s in broker.subscribers if s.alias == alias]
    subscriber.options = dataclasses.replace(subscriber.options, **changes)


async def test_retry_nacks_with_its_delay_recorded_and_drop_acks_unhandled() -> None:
    broker = make_broker(order_spec())
    calls = 0

    @broker.subscriber("decides", topic_name="orders", subscription_name="orders-sub")
    async def handle(order: Order) -> None:
        nonlocal calls
        calls += 1
        if order.quantity == 0:
            raise Drop("nothing to ship")
        if calls == 1:
            raise Retry(delay=30, reason="rate limited")

    async with TestBroker(broker, raise_errors=True) as tb:
        await broker.publish("orders", ORDER)
        await tb.drain()  # Retry and Drop are decisions, not errors: nothing raised
        await broker.publish("orders", Order(order_id="o-0", quantity=0))
        await tb.drain()

    deliveries = tb.deliveries("orders-sub")
    assert [(d.outcome, d.retry_delay) for d in deliveries] == [
        ("nacked", 30),
        ("acked", 0),
        ("dropped", 0),
    ]
    assert isinstance(deliveries[0].exception, Retry)
    assert isinstance(deliveries[2].exception, Drop)
    assert [d.payload.order_id for d in tb.acked("orders-sub")] == ["o-1"]
    assert tb.nacked("orders-sub") == deliveries[:1]


async def test_handler_past_its_timeout_is_cancelled_and_nacked() -> None:
    broker = make_broker(order_spec())
    cancelled = 0

    @broker.subscriber("slow", topic_name="orders", subscription_name="orders-sub")
    async def handle(order: Order) -> None:
        nonlocal cancelled
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled += 1
            raise

    set_options(broker, "slow", timeout=0.01)
    async with TestBroker(broker, max_redeliveries=1) as tb:
        await broker.publish("orders", ORDER)
        await tb.drain()

    assert cancelled == 2
    deliveries = tb.deliveries("orders-sub")
    assert [d.outcome for d in deliveries] == ["nacked", "abandoned"]
    assert all(isinstance(d.exception, TimeoutError) for d in deliveries)
    assert "did not finish within" in str(deliveries[0].exception)


async def test_poison_copied_to_the_dead_letter_topic_at_once_when_asked() -> None:
    broker = make_broker(order_spec())
    handled: list[Order] = []

    @broker.subscriber(
        "orders",
        topic_name="orders",
        subscription_name="orders-sub",
        dead_letter_topic="orders-dlq",
        max_delivery_attempts=5,
    )
    async def handle(order: Order) -> None:
        handled.append(order)

    set_options(broker, "orders", on_decode_error="dead_letter")
    async with TestBroker(broker) as tb:
        poison_id = await tb.publish("orders", b"{oops", attributes={"source": "legacy"})
        await tb.drain()

    assert handled == []
    [delivery] = tb.deliveries("orders-sub")
    assert (delivery.outcome, delivery.attempt, delivery.handled) == ("dead_lettered", 1, False)
    assert tb.dead_lettered("orders-dlq") == [delivery]
    [copy] = tb.published("orders-dlq")
    assert copy.data == b"{oops"
    assert copy.attributes["source"] == "legacy"
    assert copy.attributes["pubsub-source-message-id"] == poison_id
    assert copy.attributes["pubsub-source-subscription"].endswith("/subscriptions/orders-sub")
    assert copy.attributes["pubsub-decode-error"]
    assert not any(k.startswith("CloudPubSubDeadLetter") for k in copy.attributes)


async def test_an_app_started_in_memory_reports_healthy_and_handles_messages() -> None:
    import httpx

    from pubsub_runtime import FastPubSub

    broker = make_broker(order_spec())
    received: list[Order] = []

    @broker.subscriber("orders", topic_name="orders", subscription_name="orders-sub")
    async def handle(order: Order) -> None:
        received.append(order)

    app = FastPubSub(broker)
    state_before = {id(s): s.state for s in broker.subscribers}
    async with TestBroker(broker) as tb, app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
            for check in ("alive", "ready"):
                response = await client.get(f"/consumers/{check}")
                assert response.status_code == 200, response.json()
                body = response.json()
                assert body["started"] is True
                assert [s["state"] for s in body["subscribers"]] == ["running"]
            await broker.publish("orders", ORDER)
            await tb.drain()
    assert received == [ORDER]
    assert not broker.started
    assert {id(s): s.state for s in broker.subscribers} == state_before


async def test_push_subscribers_get_the_topics_messages_beside_pull_subscribers() -> None:
    broker = make_broker(order_spec())
    pulled: list[Order] = []
    pushed: list[Order] = []
    attempts: list[int] = []

    @broker.subscriber("pull", topic_name="orders", subscription_name="orders-pull")
    async def pull(order: Order) -> None:
        pulled.append(order)

    @broker.push_subscriber(
        "push", topic_name="orders", subscription_name="orders-push", path="/push/orders"
    )
    async def push(order: Order) -> Retry | None:
        attempts.append(1)
        if len(attempts) == 1:
            return Retry(reason="first time")  # nacked: delivered again, as Pub/Sub would
        pushed.append(order)
        return None

    state_before = dict(vars(broker))
    async with TestBroker(broker) as tb:
        await broker.publish("orders", ORDER)
        await tb.drain()
        assert pulled == [ORDER] and pushed == [ORDER]
        assert [d.outcome for d in tb.deliveries("orders-push")] == ["nacked", "acked"]
        assert [d.payload for d in tb.acked("push")] == [ORDER]
    assert vars(broker) == state_before


async def test_installed_observers_see_in_memory_deliveries_as_on_the_real_subscriber() -> None:
    from pubsub_runtime import _observe
    from pubsub_runtime._dispatch import Outcome as HandlerOutcome

    seen: list[tuple[str, str, str]] = []

    class Recorder(_observe.Observer):
        def received(self, source: _observe.Source, message: Message[object]) -> None:
            seen.append(("received", source.alias, message.id))

        def decode_failed(
            self, source: _observe.Source, message: Message[object], reason: str
        ) -> None:
            seen.append(("decode_failed", source.alias, message.id))

        async def handle(
            self, source: _observe.Source, message: Message[object], run: _observe.RunFunction
        ) -> HandlerOutcome:
            seen.append(("handle", source.alias, message.id))
            return await run()

        def settled(
            self, source: _observe.Source, message: Message[object], settlement: _observe.Settlement
        ) -> None:
            seen.append((settlement, source.alias, message.id))

    broker = make_broker(order_spec())

    @broker.subscriber(
        "orders",
        topic_name="orders",
        subscription_name="orders-sub",
        on_decode_error="dead_letter",
        dead_letter_topic="orders-dead",
    )
    async def handle(order: Order) -> None:
        return None

    recorder = Recorder()
    _observe.install(recorder)
    try:
        async with TestBroker(broker) as tb:
            await broker.publish("orders", ORDER)
            await tb.publish("orders", b"\xff not avro")
            await tb.drain()
    finally:
        _observe.uninstall(recorder)
    good, bad = (m.id for m in tb.published("orders"))
    assert [event for event in seen if event[2] == good] == [
        ("received", "orders", good),
        ("handle", "orders", good),
        ("ack", "orders", good),
    ]
    assert [event for event in seen if event[2] == bad] == [
        ("received", "orders", bad),
        ("decode_failed", "orders", bad),
        ("dead_letter", "orders", bad),
    ]


async def test_tracing_links_the_in_memory_consumer_span_to_the_publish() -> None:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from opentelemetry.trace import SpanKind

    from pubsub_runtime import disable_tracing, enable_tracing

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    broker = make_broker(order_spec())

    @broker.subscriber("orders", topic_name="orders", subscription_name="orders-sub")
    async def handle(order: Order) -> None:
        return None

    enable_tracing(provider)
    try:
        async with TestBroker(broker) as tb:
            await broker.publish("orders", ORDER)
            await tb.drain()
    finally:
        disable_tracing()
    spans = {span.kind: span for span in exporter.get_finished_spans()}
    producer, consumer = spans[SpanKind.PRODUCER], spans[SpanKind.CONSUMER]
    assert consumer.parent is not None
    assert consumer.parent.span_id == producer.context.span_id
    assert consumer.context.trace_id == producer.context.trace_id
