# This file is yours: pubsub-gen wrote it once and never overwrites it.
"""Handlers of the topic reading_taken: one per subscription."""

import logging

from ..broker import broker
from ..reading_taken import READING_TAKEN, ReadingTaken

logger = logging.getLogger(__name__)


@broker.subscriber(
    alias="sensors.reading_taken",
    topic_name=READING_TAKEN.name,
    subscription_name="sensors.reading_taken",
)
async def handle_reading_taken(message: ReadingTaken) -> None:
    """Handle one ReadingTaken message of the subscription sensors.reading_taken.

    Return to ack it; raise to nack it (Pub/Sub then delivers it again).

    Fields of ReadingTaken:
        sensor: bytes
        taken_at: AwareDatetime
        local_time: NaiveDatetime
        celsius: float
        humidity: float | None
        raw: bytes
        calibrated: bool
        offset: Decimal
        window: Duration
    """
    # Your logic goes here; the stub only logs what it received.
    logger.info("received %r", message)
