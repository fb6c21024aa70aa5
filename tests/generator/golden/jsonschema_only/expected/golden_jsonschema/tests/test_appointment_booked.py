# This file is yours: pubsub-gen wrote it once and never overwrites it.
"""Tests of the appointment_booked handlers, in memory: no Pub/Sub needed."""

from pubsub_runtime import PubSubBroker
from pubsub_runtime.testing import TestBroker

from .. import TOPICS
from ..app import app
from ..appointment_booked import APPOINTMENT_BOOKED, AppointmentBooked, AppointmentBookedPublisher
from ..samples import sample_appointment_booked


def test_the_sample_round_trips_through_the_codec() -> None:
    message = sample_appointment_booked()
    assert APPOINTMENT_BOOKED.decode(APPOINTMENT_BOOKED.encode(message)) == message


async def test_handle_appointment_booked_acks_the_sample() -> None:
    message = sample_appointment_booked()
    async with TestBroker(app.broker) as tb:
        await AppointmentBookedPublisher(app.broker).publish(message)
        await tb.drain(raise_errors=True)
        acked = tb.acked("clinic.appointment_booked")
    assert [delivery.payload for delivery in acked] == [message]


async def test_published_messages_are_recorded() -> None:
    message = sample_appointment_booked()
    async with TestBroker(app.broker) as tb:
        message_id = await AppointmentBookedPublisher(app.broker).publish(
            message, attributes={"origin": "test"}
        )
        await tb.drain()
        [published] = tb.published(APPOINTMENT_BOOKED.name)
    assert published.id == message_id
    assert published.payload == message
    assert published.attributes["origin"] == "test"


async def test_a_failing_handler_is_retried_then_dead_lettered() -> None:
    # A broker of its own, with a handler that always raises: each failure is a nack, Pub/Sub
    # delivers the message again, and after max_delivery_attempts it goes to the dead letters.
    broker = PubSubBroker(project_id="test-project", topics=TOPICS)

    @broker.subscriber(
        "always-fails",
        topic_name=APPOINTMENT_BOOKED.name,
        subscription_name="appointment_booked-always-fails",
        dead_letter_topic="appointment_booked-dead-letter",
        max_delivery_attempts=5,
    )
    async def always_fails(message: AppointmentBooked) -> None:
        raise RuntimeError("not today")

    async with TestBroker(broker) as tb:
        await AppointmentBookedPublisher(broker).publish(sample_appointment_booked())
        await tb.drain()
        attempts = [delivery.attempt for delivery in tb.nacked("always-fails")]
        dead_letters = tb.published("appointment_booked-dead-letter")
    assert attempts == [1, 2, 3, 4, 5]
    assert [message.data for message in dead_letters] == [
        APPOINTMENT_BOOKED.encode(sample_appointment_booked())
    ]
