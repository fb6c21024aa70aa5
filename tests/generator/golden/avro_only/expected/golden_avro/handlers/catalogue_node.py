# This file is yours: pubsub-gen wrote it once and never overwrites it.
"""Handlers of the topic catalogue_node: one per subscription."""

import logging

from ..broker import broker
from ..catalogue_node import CATALOGUE_NODE, CatalogueNode

logger = logging.getLogger(__name__)


@broker.subscriber(
    alias="library.catalogue_node",
    topic_name=CATALOGUE_NODE.name,
    subscription_name="library.catalogue_node",
)
async def handle_catalogue_node(message: CatalogueNode) -> None:
    """Handle one CatalogueNode message of the subscription library.catalogue_node.

    Return to ack it; raise to nack it (Pub/Sub then delivers it again).

    Fields of CatalogueNode:
        label: str
        children: list[CatalogueNode]
        checksum: bytes | None
    """
    # Your logic goes here; the stub only logs what it received.
    logger.info("received %r", message)
