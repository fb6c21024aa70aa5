# This file is yours: pubsub-gen wrote it once and never overwrites it.
"""Tests of the stock_low handlers, in memory: no Pub/Sub needed."""

from pubsub_runtime import PubSubBroker
from pubsub_runtime.testing import TestBroker

from .. import TOPICS
from ..app import app
from ..samples import sample_stock_low
from ..stock_low import STOCK_LOW, StockLow, StockLowPublisher


def test_the_sample_round_trips_through_the_codec() -> None:
    message = sample_stock_low()
    assert STOCK_LOW.decode(STOCK_LOW.encode(message)) == message


async def test_handle_stock_low_purchasing_acks_the_sample() -> None:
    message = sample_stock_low()
    async with TestBroker(app.broker) as tb:
        await StockLowPublisher(app.broker).publish(message)
        await tb.drain(raise_errors=True)
        acked = tb.acked("stock-low-purchasing")
    assert [delivery.payload for delivery in acked] == [message]


async def test_published_messages_are_recorded() -> None:
    message = sample_stock_low()
    async with TestBroker(app.broker) as tb:
        message_id = await StockLowPublisher(app.broker).publish(
            message, attributes={"origin": "test"}
        )
        await tb.drain()
        [published] = tb.published(STOCK_LOW.name)
    assert published.id == message_id
    assert published.payload == message
    assert published.attributes["origin"] == "test"


async def test_a_failing_handler_is_retried_then_dead_lettered() -> None:
    # A broker of its own, with a handler that always raises: each failure is a nack, Pub/Sub
    # delivers the message again, and after max_delivery_attempts it goes to the dead letters.
    broker = PubSubBroker(project_id="test-project", topics=TOPICS)

    @broker.subscriber(
        "always-fails",
        topic_name=STOCK_LOW.name,
        subscription_name="stock_low-always-fails",
        dead_letter_topic="stock_low-dead-letter",
        max_delivery_attempts=5,
    )
    async def always_fails(message: StockLow) -> None:
        raise RuntimeError("not today")

    async with TestBroker(broker) as tb:
        await StockLowPublisher(broker).publish(sample_stock_low())
        await tb.drain()
        attempts = [delivery.attempt for delivery in tb.nacked("always-fails")]
        dead_letters = tb.published("stock_low-dead-letter")
    assert attempts == [1, 2, 3, 4, 5]
    assert [message.data for message in dead_letters] == [STOCK_LOW.encode(sample_stock_low())]
