# This file is yours: pubsub-gen wrote it once and never overwrites it.
"""Handlers of the topic shipment-updated: one per subscription."""

import logging

from ..broker import broker
from ..shipment_updated import SHIPMENT_UPDATED, ShipmentUpdated

logger = logging.getLogger(__name__)


@broker.subscriber(
    alias="shipment-updated-tracking",
    topic_name=SHIPMENT_UPDATED.name,
    subscription_name="shipment-updated-tracking",
)
async def handle_shipment_updated_tracking(message: ShipmentUpdated) -> None:
    """Handle one ShipmentUpdated message of the subscription shipment-updated-tracking.

    Return to ack it; raise to nack it (Pub/Sub then delivers it again).

    Fields of ShipmentUpdated:
        shipment_id: bytes
        parcel_id: bytes -- A named type used again by its short name.
        tracking_id: bytes -- And by its full name.
        transit_time: Duration
        declared_value: Decimal
        shipped_on: date
        pickup_window_start: time
        pickup_window_end: time
        updated_at: AwareDatetime
        local_updated_at: NaiveDatetime
        local_eta: NaiveDatetime | None
        origin: Location
        destination: ComExampleCommonLocation
        route: RouteLeg -- A linked list of legs: a recursive record.
        checkpoints: list[Checkpoint]
        event: Delivered | Delayed | str | int -- A union of several records and a string.
        class_: str -- A Python keyword as a field name.
        json_: bool
        schema_: int
        model_config_: int
        internal_ref: str | None
        weight_kg: float
        fragile: bool
        raw_label: bytes
        checksum: bytes
        dimensions: dict[str, list[float]]
        tags: list[dict[str, int]]
        handling: Handling
        insured_value: Decimal | None
        max_transit: Duration
    """
    # Your logic goes here; the stub only logs what it received.
    logger.info("received %r", message)


@broker.subscriber(
    alias="shipment-updated-billing",
    topic_name=SHIPMENT_UPDATED.name,
    subscription_name="shipment-updated-billing",
)
async def handle_shipment_updated_billing(message: ShipmentUpdated) -> None:
    """Handle one ShipmentUpdated message of the subscription shipment-updated-billing.

    Return to ack it; raise to nack it (Pub/Sub then delivers it again).

    Fields of ShipmentUpdated:
        shipment_id: bytes
        parcel_id: bytes -- A named type used again by its short name.
        tracking_id: bytes -- And by its full name.
        transit_time: Duration
        declared_value: Decimal
        shipped_on: date
        pickup_window_start: time
        pickup_window_end: time
        updated_at: AwareDatetime
        local_updated_at: NaiveDatetime
        local_eta: NaiveDatetime | None
        origin: Location
        destination: ComExampleCommonLocation
        route: RouteLeg -- A linked list of legs: a recursive record.
        checkpoints: list[Checkpoint]
        event: Delivered | Delayed | str | int -- A union of several records and a string.
        class_: str -- A Python keyword as a field name.
        json_: bool
        schema_: int
        model_config_: int
        internal_ref: str | None
        weight_kg: float
        fragile: bool
        raw_label: bytes
        checksum: bytes
        dimensions: dict[str, list[float]]
        tags: list[dict[str, int]]
        handling: Handling
        insured_value: Decimal | None
        max_transit: Duration
    """
    # Your logic goes here; the stub only logs what it received.
    logger.info("received %r", message)
