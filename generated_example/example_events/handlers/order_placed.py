# This file is yours: pubsub-gen wrote it once and never overwrites it.
"""Handlers of the topic order_placed: one per subscription."""

import logging

from ..broker import broker
from ..order_placed import ORDER_PLACED, OrderPlaced

logger = logging.getLogger(__name__)


@broker.subscriber(
    alias="example-events.order_placed",
    topic_name=ORDER_PLACED.name,
    subscription_name="example-events.order_placed",
)
async def handle_order_placed(message: OrderPlaced) -> None:
    """Handle one OrderPlaced message of the subscription example-events.order_placed.

    Return to ack it; raise to nack it (Pub/Sub then delivers it again).

    Fields of OrderPlaced:
        order_id: UUID -- Unique id of the order.
        placed_at: AwareDatetime
        customer: Customer
        items: list[LineItem]
        total: Decimal
        metadata: dict[str, str]
        status: OrderStatus
        note: str | None -- Free text from the customer.
        shipping_address: Address | None
    """
    # Your logic goes here; the stub only logs what it received.
    logger.info("received %r", message)
