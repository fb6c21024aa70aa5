# This file is yours: pubsub-gen wrote it once and never overwrites it.
"""Tests of the customer_registered handlers, in memory: no Pub/Sub needed."""

from pubsub_runtime.testing import TestBroker

from ..app import app
from ..customer_registered import CUSTOMER_REGISTERED, CustomerRegisteredPublisher
from ..samples import sample_customer_registered


def test_the_sample_round_trips_through_the_codec() -> None:
    message = sample_customer_registered()
    assert CUSTOMER_REGISTERED.decode(CUSTOMER_REGISTERED.encode(message)) == message


async def test_handle_customer_registered_acks_the_sample() -> None:
    message = sample_customer_registered()
    async with TestBroker(app.broker) as tb:
        await CustomerRegisteredPublisher(app.broker).publish(message)
        await tb.drain(raise_errors=True)
        acked = tb.acked("customer_registered-sub")
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
