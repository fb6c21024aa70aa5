"""The delivery-guarantees page: its once-only example and the claims it makes of the options."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest

from pubsub_runtime import Message, PubSubBroker
from pubsub_runtime.testing import TestBroker


def an_order() -> Any:
    events = importlib.import_module("example_events")
    order_placed = importlib.import_module("example_events.order_placed")
    return events.OrderPlaced(
        order_id=uuid4(),
        placed_at=datetime.now(UTC),
        customer=order_placed.Customer(id="c-1"),
        items=[order_placed.LineItem(sku="book", unit_price=Decimal("5.00"))],
        total=Decimal("5.00"),
    )


async def test_the_once_only_shipment_commits_after_the_confirmed_ack() -> None:
    once = importlib.import_module("docs_src.concepts.delivery.once")
    once.SHIPPED.clear()
    order = an_order()
    async with TestBroker(once.broker) as memory:
        await once.broker.publish("order_placed", order)
        await memory.drain()
    assert [d.outcome for d in memory.deliveries("ship")] == ["acked"]
    assert [str(order.order_id)] == once.SHIPPED


async def test_after_message_ack_the_handlers_failure_settles_nothing() -> None:
    broker = PubSubBroker(project_id="local-project")

    @broker.subscriber("audit", topic_name="audit", subscription_name="audit-sub")
    async def audit(message: Message) -> None:
        await message.ack()
        raise RuntimeError("after the ack")

    async with TestBroker(broker, raise_errors=False) as memory:
        await broker.publish(topic_name="audit", data=b"x")
        await memory.drain()
    [delivery] = memory.deliveries("audit-sub")
    assert delivery.outcome == "acked"


async def test_message_ack_outside_a_handler_says_why() -> None:
    with pytest.raises(RuntimeError, match="not delivered by a pull subscriber"):
        await Message("m-1", b"").ack()


@pytest.mark.parametrize("window", [-0.1, 10.5])
def test_the_ack_batching_window_is_bounded(window: float) -> None:
    broker = PubSubBroker(project_id="local-project")
    with pytest.raises(ValueError, match="ack_batch_window must be between 0 and 10 seconds"):
        broker.subscriber("a", topic_name="t", subscription_name="s", ack_batch_window=window)
