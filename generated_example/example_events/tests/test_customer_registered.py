# This file is yours: pubsub-gen wrote it once and never overwrites it.
"""Tests of the customer_registered handlers, in memory: no Pub/Sub needed."""

from pubsub_runtime import PubSubBroker
from pubsub_runtime.testing import TestBroker

from .. import TOPICS
from ..app import app
from ..customer_registered import (
    CUSTOMER_REGISTERED,
    CustomerRegistered,
    CustomerRegisteredPublisher,
)
from ..samples import sample_customer_registered


def test_the_sample_round_trips_through_the_codec() -> None:
    message = sample_customer_registered()
    assert CUSTOMER_REGISTERED.decode(CUSTOMER_REGISTERED.encode(message)) == message


async def test_handle_customer_registered_acks_the_sample() -> None:
    message = sample_customer_registered()
    async with TestBroker(app.broker) as tb:
        await CustomerRegisteredPublisher(app.broker).publish(message)
        await tb.drain(raise_errors=True)
        acked = tb.acked("example-events.customer_registered")
    assert [delivery.payload for delivery in acked] == [message]


async def test_published_messages_are_recorded() -> None:
    message = sample_customer_registered()
    async with TestBroker(app.broker) as tb:
        message_id = await CustomerRegisteredPublisher(app.broker).publish(
            message, attributes={"origin": "test"}
        )
        await tb.drain()
        [published] = tb.published(CUSTOMER_REGISTERED.name)
    assert published.id == message_id
    assert published.payload == message
    assert published.attributes["origin"] == "test"


async def test_a_failing_handler_is_retried_then_dead_lettered() -> None:
    # A broker of its own, with a handler that always raises: each failure is a nack, Pub/Sub
    # delivers the message again, and after max_delivery_attempts it goes to the dead letters.
    broker = PubSubBroker(project_id="test-project", topics=TOPICS)

    @broker.subscriber(
        "always-fails",
        topic_name=CUSTOMER_REGISTERED.name,
        subscription_name="customer_registered-always-fails",
        dead_letter_topic="customer_registered-dead-letter",
        max_delivery_attempts=5,
    )
    async def always_fails(message: CustomerRegistered) -> None:
        raise RuntimeError("not today")

    async with TestBroker(broker) as tb:
        await CustomerRegisteredPublisher(broker).publish(sample_customer_registered())
        await tb.drain()
        attempts = [delivery.attempt for delivery in tb.nacked("always-fails")]
        dead_letters = tb.published("customer_registered-dead-letter")
    assert attempts == [1, 2, 3, 4, 5]
    assert [message.data for message in dead_letters] == [
        CUSTOMER_REGISTERED.encode(sample_customer_registered())
    ]
