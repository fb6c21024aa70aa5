# This file is yours: pubsub-gen wrote it once and never overwrites it.
"""Tests of the book_lent handlers, in memory: no Pub/Sub needed."""

from pubsub_runtime import PubSubBroker
from pubsub_runtime.testing import TestBroker

from .. import TOPICS
from ..app import app
from ..book_lent import BOOK_LENT, BookLent, BookLentPublisher
from ..samples import sample_book_lent


def test_the_sample_round_trips_through_the_codec() -> None:
    message = sample_book_lent()
    assert BOOK_LENT.decode(BOOK_LENT.encode(message)) == message


async def test_handle_book_lent_acks_the_sample() -> None:
    message = sample_book_lent()
    async with TestBroker(app.broker) as tb:
        await BookLentPublisher(app.broker).publish(message)
        await tb.drain(raise_errors=True)
        acked = tb.acked("library.book_lent")
    assert [delivery.payload for delivery in acked] == [message]


async def test_published_messages_are_recorded() -> None:
    message = sample_book_lent()
    async with TestBroker(app.broker) as tb:
        message_id = await BookLentPublisher(app.broker).publish(
            message, attributes={"origin": "test"}
        )
        await tb.drain()
        [published] = tb.published(BOOK_LENT.name)
    assert published.id == message_id
    assert published.payload == message
    assert published.attributes["origin"] == "test"


async def test_a_failing_handler_is_retried_then_dead_lettered() -> None:
    # A broker of its own, with a handler that always raises: each failure is a nack, Pub/Sub
    # delivers the message again, and after max_delivery_attempts it goes to the dead letters.
    broker = PubSubBroker(project_id="test-project", topics=TOPICS)

    @broker.subscriber(
        "always-fails",
        topic_name=BOOK_LENT.name,
        subscription_name="book_lent-always-fails",
        dead_letter_topic="book_lent-dead-letter",
        max_delivery_attempts=5,
    )
    async def always_fails(message: BookLent) -> None:
        raise RuntimeError("not today")

    async with TestBroker(broker) as tb:
        await BookLentPublisher(broker).publish(sample_book_lent())
        await tb.drain()
        attempts = [delivery.attempt for delivery in tb.nacked("always-fails")]
        dead_letters = tb.published("book_lent-dead-letter")
    assert attempts == [1, 2, 3, 4, 5]
    assert [message.data for message in dead_letters] == [BOOK_LENT.encode(sample_book_lent())]
