# This file is yours: pubsub-gen wrote it once and never overwrites it.
"""Tests of the shipment-updated handlers, in memory: no Pub/Sub needed."""

from pubsub_runtime import PubSubBroker
from pubsub_runtime.testing import TestBroker

from .. import TOPICS
from ..app import app
from ..samples import sample_shipment_updated
from ..shipment_updated import SHIPMENT_UPDATED, ShipmentUpdated, ShipmentUpdatedPublisher


def test_the_sample_round_trips_through_the_codec() -> None:
    message = sample_shipment_updated()
    assert SHIPMENT_UPDATED.decode(SHIPMENT_UPDATED.encode(message)) == message


async def test_handle_shipment_updated_tracking_acks_the_sample() -> None:
    message = sample_shipment_updated()
    async with TestBroker(app.broker) as tb:
        await ShipmentUpdatedPublisher(app.broker).publish(message)
        await tb.drain(raise_errors=True)
        acked = tb.acked("shipment-updated-tracking")
    assert [delivery.payload for delivery in acked] == [message]


async def test_handle_shipment_updated_billing_acks_the_sample() -> None:
    message = sample_shipment_updated()
    async with TestBroker(app.broker) as tb:
        await ShipmentUpdatedPublisher(app.broker).publish(message)
        await tb.drain(raise_errors=True)
        acked = tb.acked("shipment-updated-billing")
    assert [delivery.payload for delivery in acked] == [message]


async def test_published_messages_are_recorded() -> None:
    message = sample_shipment_updated()
    async with TestBroker(app.broker) as tb:
        message_id = await ShipmentUpdatedPublisher(app.broker).publish(
            message, attributes={"origin": "test"}
        )
        await tb.drain()
        [published] = tb.published(SHIPMENT_UPDATED.name)
    assert published.id == message_id
    assert published.payload == message
    assert published.attributes["origin"] == "test"


async def test_a_failing_handler_is_retried_then_dead_lettered() -> None:
    # A broker of its own, with a handler that always raises: each failure is a nack, Pub/Sub
    # delivers the message again, and after max_delivery_attempts it goes to the dead letters.
    broker = PubSubBroker(project_id="test-project", topics=TOPICS)

    @broker.subscriber(
        "always-fails",
        topic_name=SHIPMENT_UPDATED.name,
        subscription_name="shipment-updated-always-fails",
        dead_letter_topic="shipment-updated-dead-letter",
        max_delivery_attempts=5,
    )
    async def always_fails(message: ShipmentUpdated) -> None:
        raise RuntimeError("not today")

    async with TestBroker(broker) as tb:
        await ShipmentUpdatedPublisher(broker).publish(sample_shipment_updated())
        await tb.drain()
        attempts = [delivery.attempt for delivery in tb.nacked("always-fails")]
        dead_letters = tb.published("shipment-updated-dead-letter")
    assert attempts == [1, 2, 3, 4, 5]
    assert [message.data for message in dead_letters] == [
        SHIPMENT_UPDATED.encode(sample_shipment_updated())
    ]
