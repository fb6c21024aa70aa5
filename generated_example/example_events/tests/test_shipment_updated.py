# This file is yours: pubsub-gen wrote it once and never overwrites it.
"""Tests of the shipment-updated handlers, in memory: no Pub/Sub needed."""

from pubsub_runtime.testing import TestBroker

from ..app import app
from ..samples import sample_shipment_updated
from ..shipment_updated import SHIPMENT_UPDATED, ShipmentUpdatedPublisher


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
