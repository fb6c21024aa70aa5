# This file is yours: pubsub-gen wrote it once and never overwrites it.
"""Handlers of the topic appointment_booked: one per subscription."""

import logging

from ..appointment_booked import APPOINTMENT_BOOKED, AppointmentBooked
from ..broker import broker

logger = logging.getLogger(__name__)


@broker.subscriber(
    alias="clinic.appointment_booked",
    topic_name=APPOINTMENT_BOOKED.name,
    subscription_name="clinic.appointment_booked",
)
async def handle_appointment_booked(message: AppointmentBooked) -> None:
    """Handle one AppointmentBooked message of the subscription clinic.appointment_booked.

    Return to ack it; raise to nack it (Pub/Sub then delivers it again).

    Fields of AppointmentBooked:
        appointment_id: str
        starts_at: str
        day: str | None
        patient: Patient
        kind: AppointmentBookedKind
        duration_minutes: int | None
        room: str | None
        tags: list[str] | None
        contact: EmailContact | PhoneContact | None
        extra: dict[str, str] | None
    """
    # Your logic goes here; the stub only logs what it received.
    logger.info("received %r", message)
