# This file is yours: pubsub-gen wrote it once and never overwrites it.
"""Tests of the order_placed handlers, in memory: no Pub/Sub needed."""

from pubsub_runtime.testing import TestBroker

from ..app import app
from ..order_placed import ORDER_PLACED, OrderPlacedPublisher
from ..samples import sample_order_placed


def test_the_sample_round_trips_through_the_codec() -> None:
    message = sample_order_placed()
    assert ORDER_PLACED.decode(ORDER_PLACED.encode(message)) == message


async def test_handle_order_placed_acks_the_sample() -> None:
    message = sample_order_placed()
    async with TestBroker(app.broker) as tb:
        await OrderPlacedPublisher(app.broker).publish(message)
        await tb.drain(raise_errors=True)
        acked = tb.acked("order_placed-sub")
    assert [delivery.payload for delivery in acked] == [message]


async def test_published_messages_are_recorded() -> None:
    message = sample_order_placed()
    async with TestBroker(app.broker) as tb:
        message_id = await OrderPlacedPublisher(app.broker).publish(
            message, attributes={"origin": "test"}
        )
        await tb.drain()
        [published] = tb.published(ORDER_PLACED.name)
    assert published.id == message_id
    assert published.payload == message
    assert published.attributes["origin"] == "test"
