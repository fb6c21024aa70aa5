# This file is yours: pubsub-gen wrote it once and never overwrites it.
"""Handlers of the topic warehouse.parcel-scanned: one per subscription."""

import logging

from ..broker import broker
from ..parcel_scanned import WAREHOUSE_PARCEL_SCANNED, ParcelScanned

logger = logging.getLogger(__name__)


@broker.subscriber(
    alias="parcel-scanned-tracking",
    topic_name=WAREHOUSE_PARCEL_SCANNED.name,
    subscription_name="parcel-scanned-tracking",
)
async def handle_parcel_scanned_tracking(message: ParcelScanned) -> None:
    """Handle one ParcelScanned message of the subscription parcel-scanned-tracking.

    Return to ack it; raise to nack it (Pub/Sub then delivers it again).

    Fields of ParcelScanned:
        parcel: str
        dock: int
        scanned_at: AwareDatetime
    """
    # Your logic goes here; the stub only logs what it received.
    logger.info("received %r", message)


@broker.subscriber(
    alias="parcel-scanned-billing",
    topic_name=WAREHOUSE_PARCEL_SCANNED.name,
    subscription_name="parcel-scanned-billing",
)
async def handle_parcel_scanned_billing(message: ParcelScanned) -> None:
    """Handle one ParcelScanned message of the subscription parcel-scanned-billing.

    Return to ack it; raise to nack it (Pub/Sub then delivers it again).

    Fields of ParcelScanned:
        parcel: str
        dock: int
        scanned_at: AwareDatetime
    """
    # Your logic goes here; the stub only logs what it received.
    logger.info("received %r", message)


@broker.subscriber(
    alias="parcel-scanned-audit",
    topic_name=WAREHOUSE_PARCEL_SCANNED.name,
    subscription_name="parcel-scanned-audit",
)
async def handle_parcel_scanned_audit(message: ParcelScanned) -> None:
    """Handle one ParcelScanned message of the subscription parcel-scanned-audit.

    Return to ack it; raise to nack it (Pub/Sub then delivers it again).

    Fields of ParcelScanned:
        parcel: str
        dock: int
        scanned_at: AwareDatetime
    """
    # Your logic goes here; the stub only logs what it received.
    logger.info("received %r", message)
