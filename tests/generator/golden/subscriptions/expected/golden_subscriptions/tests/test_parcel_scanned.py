# This file is yours: pubsub-gen wrote it once and never overwrites it.
"""Tests of the warehouse.parcel-scanned handlers, in memory: no Pub/Sub needed."""

from pubsub_runtime import PubSubBroker
from pubsub_runtime.testing import TestBroker

from .. import TOPICS
from ..app import app
from ..parcel_scanned import (
    WAREHOUSE_PARCEL_SCANNED,
    ParcelScanned,
    WarehouseParcelScannedPublisher,
)
from ..samples import sample_parcel_scanned


def test_the_sample_round_trips_through_the_codec() -> None:
    message = sample_parcel_scanned()
    assert WAREHOUSE_PARCEL_SCANNED.decode(WAREHOUSE_PARCEL_SCANNED.encode(message)) == message


async def test_handle_parcel_scanned_tracking_acks_the_sample() -> None:
    message = sample_parcel_scanned()
    async with TestBroker(app.broker) as tb:
        await WarehouseParcelScannedPublisher(app.broker).publish(message)
        await tb.drain(raise_errors=True)
        acked = tb.acked("parcel-scanned-tracking")
    assert [delivery.payload for delivery in acked] == [message]


async def test_handle_parcel_scanned_billing_acks_the_sample() -> None:
    message = sample_parcel_scanned()
    async with TestBroker(app.broker) as tb:
        await WarehouseParcelScannedPublisher(app.broker).publish(message)
        await tb.drain(raise_errors=True)
        acked = tb.acked("parcel-scanned-billing")
    assert [delivery.payload for delivery in acked] == [message]


async def test_handle_parcel_scanned_audit_acks_the_sample() -> None:
    message = sample_parcel_scanned()
    async with TestBroker(app.broker) as tb:
        await WarehouseParcelScannedPublisher(app.broker).publish(message)
        await tb.drain(raise_errors=True)
        acked = tb.acked("parcel-scanned-audit")
    assert [delivery.payload for delivery in acked] == [message]


async def test_published_messages_are_recorded() -> None:
    message = sample_parcel_scanned()
    async with TestBroker(app.broker) as tb:
        message_id = await WarehouseParcelScannedPublisher(app.broker).publish(
            message, attributes={"origin": "test"}
        )
        await tb.drain()
        [published] = tb.published(WAREHOUSE_PARCEL_SCANNED.name)
    assert published.id == message_id
    assert published.payload == message
    assert published.attributes["origin"] == "test"


async def test_a_failing_handler_is_retried_then_dead_lettered() -> None:
    # A broker of its own, with a handler that always raises: each failure is a nack, Pub/Sub
    # delivers the message again, and after max_delivery_attempts it goes to the dead letters.
    broker = PubSubBroker(project_id="test-project", topics=TOPICS)

    @broker.subscriber(
        "always-fails",
        topic_name=WAREHOUSE_PARCEL_SCANNED.name,
        subscription_name="warehouse.parcel-scanned-always-fails",
        dead_letter_topic="warehouse.parcel-scanned-dead-letter",
        max_delivery_attempts=5,
    )
    async def always_fails(message: ParcelScanned) -> None:
        raise RuntimeError("not today")

    async with TestBroker(broker) as tb:
        await WarehouseParcelScannedPublisher(broker).publish(sample_parcel_scanned())
        await tb.drain()
        attempts = [delivery.attempt for delivery in tb.nacked("always-fails")]
        dead_letters = tb.published("warehouse.parcel-scanned-dead-letter")
    assert attempts == [1, 2, 3, 4, 5]
    assert [message.data for message in dead_letters] == [
        WAREHOUSE_PARCEL_SCANNED.encode(sample_parcel_scanned())
    ]
