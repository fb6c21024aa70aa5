# This file is yours: pubsub-gen wrote it once and never overwrites it.
"""Handlers of the topic calibration_changed: one per subscription."""

import logging

from ..broker import broker
from ..calibration_changed import CALIBRATION_CHANGED, CalibrationChanged

logger = logging.getLogger(__name__)


@broker.subscriber(
    alias="sensors.calibration_changed",
    topic_name=CALIBRATION_CHANGED.name,
    subscription_name="sensors.calibration_changed",
)
async def handle_calibration_changed(message: CalibrationChanged) -> None:
    """Handle one CalibrationChanged message of the subscription sensors.calibration_changed.

    Return to ack it; raise to nack it (Pub/Sub then delivers it again).

    Fields of CalibrationChanged:
        sensor: str
        factor: float
        changed_at: AwareDatetime
    """
    # Your logic goes here; the stub only logs what it received.
    logger.info("received %r", message)
