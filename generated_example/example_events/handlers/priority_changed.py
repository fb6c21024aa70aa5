# This file is yours: pubsub-gen wrote it once and never overwrites it.
"""Handlers of the topic priority_changed: one per subscription."""

import logging

from ..broker import broker
from ..priority_changed import PRIORITY_CHANGED, PriorityChanged

logger = logging.getLogger(__name__)


@broker.subscriber(
    alias="example-events.priority_changed",
    topic_name=PRIORITY_CHANGED.name,
    subscription_name="example-events.priority_changed",
)
async def handle_priority_changed(message: PriorityChanged) -> None:
    """Handle one PriorityChanged message of the subscription example-events.priority_changed.

    Return to ack it; raise to nack it (Pub/Sub then delivers it again).

    PriorityChanged wraps one value:
        root: Priority
    """
    # Your logic goes here; the stub only logs what it received.
    logger.info("received %r", message)
