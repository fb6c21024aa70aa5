"""TestBroker routing: fan-out, replies, ordering keys, concurrency, filters, drain and exit."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from typing import Any

import pytest
from pydantic import BaseModel

from pubsub_runtime import Message, PubSubBroker, TopicSpec
from pubsub_runtime._dispatch import parse_handler_task_name
from pubsub_runtime._filter import compile_filter
from pubsub_runtime._publisher import BatchPublisher
from pubsub_runtime.testing import FilterError, TestBroker


class Order(BaseModel):
    order_id: str
    quantity: int


class Reply(BaseModel):
    order_id: str
    status: str


ORDER_AVRO = json.dumps(
    {
        "type": "record",
        "name": "Order",
        "fields": [{"name": "order_id", "type": "string"}, {"name": "quantity", "type": "int"}],
    }
)
REPLY_JSON_SCHEMA = json.dumps(
    {
        "type": "object",
        "properties": {"order_id": {"type": "string"}, "status": {"type": "string"}},
        "required": ["order_id", "status"],
        "additionalProperties": False,
    }
)
ORDERS = TopicSpec(
    name="orders", model=Order, schema_type="AVRO", encoding="JSON", definition=ORDER_AVRO
)
REPLIES = TopicSpec(
    name="order_replies", model=Reply, schema_type="JSON_SCHEMA", definition=REPLY_JSON_SCHEMA
)


def make_broker() -> PubSubBroker:
    return PubSubBroker("test-project", topics={"orders": ORDERS, "order_replies": REPLIES})


def order(n: int) -> Order:
    return Order(order_id=f"o-{n}", quantity=n)


@pytest.fixture(autouse=True)
def _no_emulator(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PUBSUB_EMULATOR_HOST", raising=False)


async def test_each_subscription_of_a_topic_gets_its_copy() -> None:
    broker = make_broker()
    billing: list[Order] = []
    shipping: list[Order] = []

    @broker.subscriber("billing", topic_name="orders", subscription_name="orders-billing")
    async def bill(o: Order) -> None:
        billing.append(o)

    @broker.subscriber("shipping", topic_name="orders", subscription_name="orders-shipping")
    async def ship(o: Order) -> None:
        shipping.append(o)

    async with TestBroker(broker) as tb:
        ids = [await broker.publish("orders", order(n)) for n in (1, 2)]
        await tb.drain()

    assert billing == shipping == [order(1), order(2)]
    assert [d.message.id for d in tb.acked("orders-billing")] == ids
    assert [d.message.id for d in tb.acked("orders-shipping")] == ids
    assert billing[0] is not shipping[0]  # decoded separately, as on two real subscribers


async def test_subscribers_sharing_a_subscription_share_its_messages() -> None:
    broker = make_broker()
    seen: dict[str, list[int]] = {"one": [], "two": []}

    @broker.subscriber("one", topic_name="orders", subscription_name="orders-sub")
    async def one(o: Order) -> None:
        seen["one"].append(o.quantity)

    @broker.subscriber("two", topic_name="orders", subscription_name="orders-sub")
    async def two(o: Order) -> None:
        seen["two"].append(o.quantity)

    async with TestBroker(broker) as tb:
        for n in range(1, 5):
            await broker.publish("orders", order(n))
        await tb.drain()

    assert sorted(seen["one"] + seen["two"]) == [1, 2, 3, 4]
    assert seen["one"] and seen["two"]
    assert len(tb.acked("orders-sub")) == 4
    assert len(tb.acked("one")) + len(tb.acked("two")) == 8  # an alias names the subscription


async def test_a_handler_that_publishes_a_reply_is_recorded_and_routed() -> None:
    broker = make_broker()
    replies: list[Reply] = []

    @broker.subscriber("orders", topic_name="orders", subscription_name="orders-sub")
    async def handle(o: Order) -> None:
        status = "accepted" if o.quantity > 0 else "rejected"
        await broker.publish("order_replies", Reply(order_id=o.order_id, status=status))

    @broker.subscriber("replies", topic_name="order_replies", subscription_name="replies-sub")
    async def on_reply(reply: Reply) -> None:
        replies.append(reply)

    async with TestBroker(broker) as tb:
        await broker.publish("orders", order(2))
        await broker.publish("orders", order(0))
        await tb.drain()

    expected = [Reply(order_id="o-2", status="accepted"), Reply(order_id="o-0", status="rejected")]
    assert replies == expected
    published = tb.published("order_replies")
    assert [p.payload for p in published] == expected
    assert published[0].data == REPLIES.encode(expected[0])
    assert published[0].attributes == dict(REPLIES.attributes)


async def test_ordering_key_messages_run_one_at_a_time_in_order_with_redelivery() -> None:
    broker = make_broker()
    log: list[tuple[str, int]] = []
    running: dict[str, int] = {}
    peak_keys = 0
    failed_once: set[str] = set()

    @broker.subscriber(
        "ordered",
        topic_name="orders",
        subscription_name="orders-sub",
        enable_message_ordering=True,
    )
    async def handle(message: Message[Order]) -> None:
        nonlocal peak_keys
        key = message.ordering_key or ""
        running[key] = running.get(key, 0) + 1
        assert running[key] == 1, "two messages of one key ran at once"
        peak_keys = max(peak_keys, sum(running.values()))
        n = message.payload.quantity
        for _ in range(5 - n):  # earlier messages take longer
            await asyncio.sleep(0)
        running[key] -= 1
        log.append((key, n))
        if n == 2 and key not in failed_once:
            failed_once.add(key)
            raise RuntimeError("transient")

    async with TestBroker(broker) as tb:
        for n in range(5):
            await broker.publish("orders", order(n), ordering_key="customer-a")
            await broker.publish("orders", order(n), ordering_key="customer-b")
        await tb.drain()

    for key in ("customer-a", "customer-b"):
        assert [n for k, n in log if k == key] == [0, 1, 2, 2, 3, 4]
        attempts = [
            (d.payload.quantity, d.attempt)
            for d in tb.deliveries("orders-sub")
            if d.message.ordering_key == key
        ]
        assert attempts == [(0, 1), (1, 1), (2, 1), (2, 2), (3, 1), (4, 1)]
    assert peak_keys == 2  # different keys still run concurrently


async def test_unordered_subscription_ignores_keys_and_runs_concurrently() -> None:
    broker = make_broker()
    active = 0
    peak = 0

    @broker.subscriber("busy", topic_name="orders", subscription_name="orders-sub")
    async def handle(o: Order) -> None:
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        await asyncio.sleep(0)
        active -= 1

    async with TestBroker(broker) as tb:
        for n in range(5):
            await broker.publish("orders", order(n), ordering_key="same")
        await tb.drain()
    assert peak == 5
    assert len(tb.acked("orders-sub")) == 5


@pytest.mark.parametrize("max_messages", [1, 2])
async def test_max_messages_bounds_handlers_running_at_once(max_messages: int) -> None:
    broker = make_broker()
    active = 0
    peak = 0

    @broker.subscriber(
        "bounded", topic_name="orders", subscription_name="orders-sub", max_messages=max_messages
    )
    async def handle(o: Order) -> None:
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        for _ in range(3):
            await asyncio.sleep(0)
        active -= 1

    async with TestBroker(broker) as tb:
        for n in range(6):
            await broker.publish("orders", order(n))
        await tb.drain()
    assert peak == max_messages
    assert len(tb.acked("orders-sub")) == 6


async def test_handler_task_is_named_for_the_loop_watchdog() -> None:
    broker = make_broker()
    names: list[tuple[str, str, str] | None] = []

    @broker.subscriber("named", topic_name="orders", subscription_name="orders-sub")
    async def handle(o: Order) -> None:
        task = asyncio.current_task()
        assert task is not None
        names.append(parse_handler_task_name(task.get_name()))

    async with TestBroker(broker) as tb:
        message_id = await broker.publish("orders", order(1))
        await tb.drain()
    [(alias, qualname, parsed_id)] = names
    assert (alias, parsed_id) == ("named", message_id)
    assert qualname.endswith("handle")


async def test_subscription_filter_delivers_only_matching_messages() -> None:
    broker = make_broker()
    refunds: list[str] = []
    everything: list[str] = []

    @broker.subscriber(
        "refunds",
        topic_name="orders",
        subscription_name="refunds-sub",
        filter_expression='attributes.kind = "refund" AND NOT attributes:test',
    )
    async def on_refund(message: Message[Order]) -> None:
        refunds.append(message.payload.order_id)

    @broker.subscriber("all", topic_name="orders", subscription_name="all-sub")
    async def on_any(message: Message[Order]) -> None:
        everything.append(message.payload.order_id)

    async with TestBroker(broker) as tb:
        await broker.publish("orders", order(1), attributes={"kind": "refund"})
        await broker.publish("orders", order(2), attributes={"kind": "sale"})
        await broker.publish("orders", order(3), attributes={"kind": "refund", "test": "1"})
        await broker.publish("orders", order(4))
        await tb.drain()
    assert refunds == ["o-1"]
    assert everything == ["o-1", "o-2", "o-3", "o-4"]


async def test_a_filter_pubsub_would_refuse_fails_on_entry() -> None:
    broker = make_broker()

    @broker.subscriber(
        "bad",
        topic_name="orders",
        subscription_name="orders-sub",
        filter_expression='attributes.a = "1" AND attributes.b = "2" OR attributes:c',
    )
    async def handle(o: Order) -> None:
        return None

    with pytest.raises(FilterError, match="parentheses"):
        async with TestBroker(broker):
            pass
    assert isinstance(broker._publisher, BatchPublisher)
    assert "start" not in vars(broker)


@pytest.mark.parametrize(
    ("expression", "attributes", "expected"),
    [
        ("attributes:k", {"k": ""}, True),
        ("attributes:k", {}, False),
        ('attributes.k = "v"', {"k": "v"}, True),
        ('attributes.k != "v"', {}, True),
        ('attributes.k != "v"', {"k": "v"}, False),
        ('hasPrefix(attributes.k, "ab")', {"k": "abc"}, True),
        ('hasPrefix(attributes.k, "")', {}, False),
        ("NOT attributes:k", {}, True),
        ("-attributes:k", {"k": "1"}, False),
        ("attributes:a OR attributes:b OR attributes:c", {"c": "1"}, True),
        ('(attributes:a OR attributes:b) AND attributes.c = "x"', {"b": "", "c": "x"}, True),
        ('(attributes:a OR attributes:b) AND attributes.c = "x"', {"c": "x"}, False),
        ('attributes."iana.org/lang" = "en"', {"iana.org/lang": "en"}, True),
        ('attributes.my-key_1 = "say \\"hi\\""', {"my-key_1": 'say "hi"'}, True),
        ('attributes.k = "caf\\u00e9"', {"k": "café"}, True),
        ("", {}, True),
    ],
)
def test_filter_expressions(expression: str, attributes: dict[str, str], expected: bool) -> None:
    assert compile_filter(expression)(attributes) is expected


@pytest.mark.parametrize(
    "expression",
    [
        "attributes.k = v",  # values are string literals
        "attributes.k",
        "data = 'x'",
        "(attributes:a AND attributes:b",
        "attributes:a AND attributes:b OR attributes:c",
        "attributes:" + "k" * 300,
    ],
)
def test_bad_filter_expressions(expression: str) -> None:
    with pytest.raises(FilterError):
        compile_filter(expression)


async def test_drain_timeout_names_the_busy_subscription() -> None:
    broker = make_broker()
    never = asyncio.Event()

    @broker.subscriber("stuck", topic_name="orders", subscription_name="orders-sub")
    async def handle(o: Order) -> None:
        await never.wait()

    with pytest.warns(RuntimeWarning, match="not handled yet"):
        async with TestBroker(broker) as tb:
            await broker.publish("orders", order(1))
            await broker.publish("orders", order(2))
            with pytest.raises(TimeoutError, match=r"'orders-sub'.*2 running"):
                await tb.drain(timeout=0.05)
    # leaving cancelled the stuck handlers; nothing was recorded for them
    assert tb.deliveries() == []
    assert not any(
        t.get_name().startswith("pubsub-handler|stuck") for t in asyncio.all_tasks() if not t.done()
    )


async def test_drain_delivers_messages_published_from_a_task() -> None:
    broker = make_broker()
    seen: list[Order] = []

    @broker.subscriber("orders", topic_name="orders", subscription_name="orders-sub")
    async def handle(o: Order) -> None:
        seen.append(o)

    async with TestBroker(broker) as tb:
        asyncio.get_running_loop().create_task(broker.publish("orders", order(7)))
        await tb.drain()
    assert seen == [order(7)]


async def test_reset_forgets_records() -> None:
    broker = make_broker()

    @broker.subscriber("orders", topic_name="orders", subscription_name="orders-sub")
    async def handle(o: Any) -> None:
        return None

    async with TestBroker(broker) as tb:
        await broker.publish("orders", order(1))
        await tb.drain()
        tb.reset()
        assert tb.published() == tb.deliveries() == []
        await broker.publish("orders", order(2))
        await tb.drain()
        assert [d.payload for d in tb.acked("orders-sub")] == [order(2)]


async def test_deliver_refuses_what_the_subscription_filter_would_drop() -> None:
    broker = make_broker()

    @broker.subscriber(
        "refunds",
        topic_name="orders",
        subscription_name="refunds-sub",
        filter_expression='attributes.kind = "refund"',
    )
    async def on_refund(o: Order) -> None:
        return None

    async with TestBroker(broker) as tb:
        with pytest.raises(ValueError, match="never deliver"):
            await tb.deliver("refunds-sub", ORDERS.encode(order(1)), attributes={"kind": "sale"})
        await tb.deliver("refunds-sub", ORDERS.encode(order(1)), attributes={"kind": "refund"})
        await tb.drain()
    assert [d.payload for d in tb.acked("refunds-sub")] == [order(1)]


def test_the_pytest_plugin_does_not_load_the_in_memory_broker() -> None:
    code = (
        "import sys, pubsub_runtime.testing.pytest_plugin; "
        "print('pubsub_runtime.testing._memory.broker' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr
