"""Integration test on the real Pub/Sub emulator, started by pubsub-runtime's pytest plugin."""

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from uuid import uuid4

import pytest
from example_events import TOPICS, OrderPlaced, OrderPlacedPublisher
from example_events.order_placed import Customer, LineItem

from pubsub_runtime import Message, PubSubBroker
from pubsub_runtime.testing import Emulator

pytestmark = pytest.mark.emulator  # skipped when the emulator is missing; a failure under CI=true


async def test_an_order_goes_through_pubsub_and_back(
    pubsub_emulator: Emulator, unique_name: Callable[[str], str]
) -> None:
    # A project of its own: its topics and subscriptions are new, whatever ran before.
    broker = PubSubBroker(project_id=unique_name("orders"), topics=TOPICS)
    received: asyncio.Queue[Message[OrderPlaced]] = asyncio.Queue()

    @broker.subscriber("probe", topic_name="order_placed", subscription_name="order_placed-probe")
    async def probe(message: Message[OrderPlaced]) -> None:
        await received.put(message)

    order = OrderPlaced(
        order_id=uuid4(),
        placed_at=datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
        customer=Customer(id="c-1", email="ada@example.com"),
        items=[LineItem(sku="piano", unit_price=Decimal("2500.00"))],
        total=Decimal("2500.00"),
        note="ring twice",
    )
    async with broker:  # autocreate: the topic and the subscription exist once this returns
        message_id = await OrderPlacedPublisher(broker).publish(order)
        message = await asyncio.wait_for(received.get(), timeout=30)

    assert message.id == message_id
    assert message.payload == order  # encoded by our codec, carried by Pub/Sub, decoded again
    assert message.attributes["avro-encoding"] == "JSON"
