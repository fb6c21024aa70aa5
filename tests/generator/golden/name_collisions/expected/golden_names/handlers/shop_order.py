# This file is yours: pubsub-gen wrote it once and never overwrites it.
"""Handlers of the topic shop-order: one per subscription."""

import logging

from ..broker import broker
from ..shop_order import SHOP_ORDER, Order

logger = logging.getLogger(__name__)


@broker.subscriber(
    alias="names.shop-order",
    topic_name=SHOP_ORDER.name,
    subscription_name="names.shop-order",
)
async def handle_shop_order(message: Order) -> None:
    """Handle one Order message of the subscription names.shop-order.

    Return to ack it; raise to nack it (Pub/Sub then delivers it again).

    Fields of Order:
        class_: str
        from_: str
        json_: str
        schema_: str
        model_config_: str
        camel_case_2: int
        camel_case: int
        item: Item
        supplier_item: ComSupplierItem
        state: State
    """
    # Your logic goes here; the stub only logs what it received.
    logger.info("received %r", message)
