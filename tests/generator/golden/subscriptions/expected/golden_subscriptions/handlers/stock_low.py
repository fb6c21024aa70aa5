# This file is yours: pubsub-gen wrote it once and never overwrites it.
"""Handlers of the topic stock_low: one per subscription."""

import logging

from ..broker import broker
from ..stock_low import STOCK_LOW, StockLow

logger = logging.getLogger(__name__)


@broker.subscriber(
    alias="stock-low-purchasing",
    topic_name=STOCK_LOW.name,
    subscription_name="stock-low-purchasing",
)
async def handle_stock_low_purchasing(message: StockLow) -> None:
    """Handle one StockLow message of the subscription stock-low-purchasing.

    Return to ack it; raise to nack it (Pub/Sub then delivers it again).

    Fields of StockLow:
        sku: str
        left: int
    """
    # Your logic goes here; the stub only logs what it received.
    logger.info("received %r", message)
