# This file is yours: pubsub-gen wrote it once and never overwrites it.
"""Handlers of the topic door_opened: one per subscription."""

import logging

from ..broker import broker
from ..door_opened import DOOR_OPENED, DoorOpened

logger = logging.getLogger(__name__)


@broker.subscriber(
    alias="warehouse-service.door_opened",
    topic_name=DOOR_OPENED.name,
    subscription_name="warehouse-service.door_opened",
)
async def handle_door_opened(message: DoorOpened) -> None:
    """Handle one DoorOpened message of the subscription warehouse-service.door_opened.

    Return to ack it; raise to nack it (Pub/Sub then delivers it again).

    Fields of DoorOpened:
        door: str
    """
    # Your logic goes here; the stub only logs what it received.
    logger.info("received %r", message)
