"""Unit tests of a handler: no network, no emulator, the real codecs and ack rules."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from uuid import uuid4

import pytest
from example_events import OrderPlaced, OrderPlacedPublisher
from example_events.order_placed import Customer, LineItem
from example_events.priority_changed import Priority

from docs_src.how_to.test_in_memory.service import broker
from pubsub_runtime.testing import TestBroker


def order(total: str, *, items: int = 1) -> OrderPlaced:
    return OrderPlaced(
        order_id=uuid4(),
        placed_at=datetime.now(UTC),
        customer=Customer(id="c-1"),
        items=[LineItem(sku=f"sku-{i}", unit_price=Decimal(total)) for i in range(items)],
        total=Decimal(total),
    )


@pytest.fixture
async def tb() -> AsyncIterator[TestBroker]:
    async with TestBroker(broker) as test_broker:
        yield test_broker


async def test_a_big_order_is_escalated(tb: TestBroker) -> None:
    await OrderPlacedPublisher(broker).publish(order("2500.00"))
    await tb.drain()

    assert len(tb.acked("order_placed-escalation")) == 1
    [escalation] = tb.published("priority_changed")
    assert escalation.payload.root is Priority.HIGH  # decoded with the topic's own codec


async def test_a_small_order_is_acked_without_escalation(tb: TestBroker) -> None:
    await OrderPlacedPublisher(broker).publish(order("20.00"))
    await tb.drain()

    assert tb.acked("escalation")  # a subscriber's alias works as well as its subscription
    assert tb.published("priority_changed") == []


async def test_a_failing_order_is_retried_then_dead_lettered(tb: TestBroker) -> None:
    await OrderPlacedPublisher(broker).publish(order("20.00", items=0))
    await tb.drain()

    attempts = tb.deliveries("escalation")
    assert [d.attempt for d in attempts] == [1, 2, 3, 4, 5]
    assert attempts[-1].outcome == "dead_lettered"
    assert isinstance(attempts[-1].exception, ValueError)
    [dead] = tb.published("order_placed-dead")
    assert dead.attributes["CloudPubSubDeadLetterSourceDeliveryCount"] == "5"


async def test_a_poison_message_never_reaches_the_handler(tb: TestBroker) -> None:
    await tb.publish("order_placed", b"{not json")  # raw bytes, as a foreign producer might
    await tb.drain()

    assert all(not d.handled for d in tb.deliveries("escalation"))
    assert tb.dead_lettered("escalation")


async def test_drain_can_raise_what_the_handler_raised(tb: TestBroker) -> None:
    await OrderPlacedPublisher(broker).publish(order("20.00", items=0))
    with pytest.raises(ValueError, match="has no items"):
        await tb.drain(raise_errors=True)
