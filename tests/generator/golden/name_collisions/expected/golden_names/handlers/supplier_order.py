# This file is yours: pubsub-gen wrote it once and never overwrites it.
"""Handlers of the topic supplier_order: one per subscription."""

import logging

from ..broker import broker
from ..supplier_order import SUPPLIER_ORDER, SupplierOrder

logger = logging.getLogger(__name__)


@broker.subscriber(
    alias="names.supplier_order",
    topic_name=SUPPLIER_ORDER.name,
    subscription_name="names.supplier_order",
)
async def handle_supplier_order(message: SupplierOrder) -> None:
    """Handle one SupplierOrder message of the subscription names.supplier_order.

    Return to ack it; raise to nack it (Pub/Sub then delivers it again).

    Fields of SupplierOrder:
        first_name: str
        field_1st: bool | None
        with_space: str | None
        class_: str
        json_: str | None
        model_config_: str | None
        copy_: int | None
        camel_case: int | None
        camel_case_2: int | None
    """
    # Your logic goes here; the stub only logs what it received.
    logger.info("received %r", message)
