# This file is yours: pubsub-gen wrote it once and never overwrites it.
"""Handlers of the topic shelf_state: one per subscription."""

import logging

from ..broker import broker
from ..shelf_state import SHELF_STATE, ShelfState

logger = logging.getLogger(__name__)


@broker.subscriber(
    alias="library.shelf_state",
    topic_name=SHELF_STATE.name,
    subscription_name="library.shelf_state",
)
async def handle_shelf_state(message: ShelfState) -> None:
    """Handle one ShelfState message of the subscription library.shelf_state.

    Return to ack it; raise to nack it (Pub/Sub then delivers it again).

    ShelfState wraps one value:
        root: OrgLibraryShelvesShelfState
    """
    # Your logic goes here; the stub only logs what it received.
    logger.info("received %r", message)
