# This file is yours: pubsub-gen wrote it once and never overwrites it.
"""Tests of the reading_taken handlers, in memory: no Pub/Sub needed."""

from pubsub_runtime import PubSubBroker
from pubsub_runtime.testing import TestBroker

from .. import TOPICS
from ..app import app
from ..reading_taken import READING_TAKEN, ReadingTaken, ReadingTakenPublisher
from ..samples import sample_reading_taken


def test_the_sample_round_trips_through_the_codec() -> None:
    message = sample_reading_taken()
    assert READING_TAKEN.decode(READING_TAKEN.encode(message)) == message


async def test_handle_reading_taken_acks_the_sample() -> None:
    message = sample_reading_taken()
    async with TestBroker(app.broker) as tb:
        await ReadingTakenPublisher(app.broker).publish(message)
        await tb.drain(raise_errors=True)
        acked = tb.acked("sensors.reading_taken")
    assert [delivery.payload for delivery in acked] == [message]


async def test_published_messages_are_recorded() -> None:
    message = sample_reading_taken()
    async with TestBroker(app.broker) as tb:
        message_id = await ReadingTakenPublisher(app.broker).publish(
            message, attributes={"origin": "test"}
        )
        await tb.drain()
        [published] = tb.published(READING_TAKEN.name)
    assert published.id == message_id
    assert published.payload == message
    assert published.attributes["origin"] == "test"


async def test_a_failing_handler_is_retried_then_dead_lettered() -> None:
    # A broker of its own, with a handler that always raises: each failure is a nack, Pub/Sub
    # delivers the message again, and after max_delivery_attempts it goes to the dead letters.
    broker = PubSubBroker(project_id="test-project", topics=TOPICS)

    @broker.subscriber(
        "always-fails",
        topic_name=READING_TAKEN.name,
        subscription_name="reading_taken-always-fails",
        dead_letter_topic="reading_taken-dead-letter",
        max_delivery_attempts=5,
    )
    async def always_fails(message: ReadingTaken) -> None:
        raise RuntimeError("not today")

    async with TestBroker(broker) as tb:
        await ReadingTakenPublisher(broker).publish(sample_reading_taken())
        await tb.drain()
        attempts = [delivery.attempt for delivery in tb.nacked("always-fails")]
        dead_letters = tb.published("reading_taken-dead-letter")
    assert attempts == [1, 2, 3, 4, 5]
    assert [message.data for message in dead_letters] == [
        READING_TAKEN.encode(sample_reading_taken())
    ]
