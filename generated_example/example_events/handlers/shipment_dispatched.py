# This file is yours: pubsub-gen wrote it once and never overwrites it.
"""Handlers of the topic shipment_dispatched: one per subscription."""

import logging

from ..broker import broker
from ..shipment_dispatched import SHIPMENT_DISPATCHED, ShipmentDispatched

logger = logging.getLogger(__name__)


@broker.subscriber(
    alias="example-events.shipment_dispatched",
    topic_name=SHIPMENT_DISPATCHED.name,
    subscription_name="example-events.shipment_dispatched",
)
async def handle_shipment_dispatched(message: ShipmentDispatched) -> None:
    """Handle one ShipmentDispatched message of the subscription example-events.shipment_dispatched.

    Return to ack it; raise to nack it (Pub/Sub then delivers it again).

    Fields of ShipmentDispatched:
        shipment_id: str
        order_id: str -- The order this shipment fulfils.
        dispatched_at: str
        expected_delivery: str | None
        carrier: Carrier
        class_: ShipmentDispatchedClass -- Service class booked with the carrier.
        field_2nd_attempt_allowed: bool
        tracking_url: str | None
        parcels: list[Parcel]
        destination: HomeDelivery | PickupPoint
        total_weight_kg: float | None
        labels: dict[str, str] | None -- Free-form labels printed on the shipping documents.
        customs: Customs | None
        json_: str | None -- The carrier's raw booking response, as received.
        schema_: Literal['shipment-dispatched/1'] | None
    """
    # Your logic goes here; the stub only logs what it received.
    logger.info("received %r", message)
