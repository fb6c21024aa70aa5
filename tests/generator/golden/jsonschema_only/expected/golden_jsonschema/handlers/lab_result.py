# This file is yours: pubsub-gen wrote it once and never overwrites it.
"""Handlers of the topic lab_result: one per subscription."""

import logging

from ..broker import broker
from ..lab_result import LAB_RESULT, LabResult

logger = logging.getLogger(__name__)


@broker.subscriber(
    alias="clinic.lab_result",
    topic_name=LAB_RESULT.name,
    subscription_name="clinic.lab_result",
)
async def handle_lab_result(message: LabResult) -> None:
    """Handle one LabResult message of the subscription clinic.lab_result.

    Return to ack it; raise to nack it (Pub/Sub then delivers it again).

    Fields of LabResult:
        sample_id: str
        report: str | None
        values: list[Measurement]
    """
    # Your logic goes here; the stub only logs what it received.
    logger.info("received %r", message)
