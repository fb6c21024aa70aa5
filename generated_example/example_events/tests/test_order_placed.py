# This file is yours: pubsub-gen wrote it once and never overwrites it.
"""Tests of the order_placed handlers, in memory: no Pub/Sub needed."""

from pubsub_runtime import PubSubBroker
from pubsub_runtime.testing import TestBroker

from .. import TOPICS
from ..app import app
from ..order_placed import ORDER_PLACED, OrderPlaced, OrderPlacedPublisher
from ..samples import sample_order_placed


def test_the_sample_round_trips_through_the_codec() -> None:
    message = sample_order_placed()
    assert ORDER_PLACED.decode(ORDER_PLACED.encode(message)) == message


async def test_handle_order_placed_acks_the_sample() -> None:
    message = sample_order_placed()
    async with TestBroker(app.broker) as tb:
        await OrderPlacedPublisher(app.broker).publish(message)
        await tb.drain(raise_errors=True)
        acked = tb.acked("example-events.order_placed")
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


async def test_a_failing_handler_is_retried_then_dead_lettered() -> None:
    # A broker of its own, with a handler that always raises: each failure is a nack, Pub/Sub
    # delivers the message again, and after max_delivery_attempts it goes to the dead letters.
    broker = PubSubBroker(project_id="test-project", topics=TOPICS)

    @broker.subscriber(
        "always-fails",
        topic_name=ORDER_PLACED.name,
        subscription_name="order_placed-always-fails",
        dead_letter_topic="order_placed-dead-letter",
        max_delivery_attempts=5,
    )
    async def always_fails(message: OrderPlaced) -> None:
        raise RuntimeError("not today")

    async with TestBroker(broker) as tb:
        await OrderPlacedPublisher(broker).publish(sample_order_placed())
        await tb.drain()
        attempts = [delivery.attempt for delivery in tb.nacked("always-fails")]
        dead_letters = tb.published("order_placed-dead-letter")
    assert attempts == [1, 2, 3, 4, 5]
    assert [message.data for message in dead_letters] == [
        ORDER_PLACED.encode(sample_order_placed())
    ]
