# This file is yours: pubsub-gen wrote it once and never overwrites it.
"""Tests of the shipment_dispatched handlers, in memory: no Pub/Sub needed."""

from pubsub_runtime.testing import TestBroker

from ..app import app
from ..samples import sample_shipment_dispatched
from ..shipment_dispatched import SHIPMENT_DISPATCHED, ShipmentDispatchedPublisher


def test_the_sample_round_trips_through_the_codec() -> None:
    message = sample_shipment_dispatched()
    assert SHIPMENT_DISPATCHED.decode(SHIPMENT_DISPATCHED.encode(message)) == message


async def test_handle_shipment_dispatched_acks_the_sample() -> None:
    message = sample_shipment_dispatched()
    async with TestBroker(app.broker) as tb:
        await ShipmentDispatchedPublisher(app.broker).publish(message)
        await tb.drain(raise_errors=True)
        acked = tb.acked("shipment_dispatched-sub")
    assert [delivery.payload for delivery in acked] == [message]


async def test_published_messages_are_recorded() -> None:
    message = sample_shipment_dispatched()
    async with TestBroker(app.broker) as tb:
        message_id = await ShipmentDispatchedPublisher(app.broker).publish(
            message, attributes={"origin": "test"}
        )
        await tb.drain()
        [published] = tb.published(SHIPMENT_DISPATCHED.name)
    assert published.id == message_id
    assert published.payload == message
    assert published.attributes["origin"] == "test"
