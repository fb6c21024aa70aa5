# This file is yours: pubsub-gen wrote it once and never overwrites it.
"""Tests of the calibration_changed handlers, in memory: no Pub/Sub needed."""

from pubsub_runtime import PubSubBroker
from pubsub_runtime.testing import TestBroker

from .. import TOPICS
from ..app import app
from ..calibration_changed import (
    CALIBRATION_CHANGED,
    CalibrationChanged,
    CalibrationChangedPublisher,
)
from ..samples import sample_calibration_changed


def test_the_sample_round_trips_through_the_codec() -> None:
    message = sample_calibration_changed()
    assert CALIBRATION_CHANGED.decode(CALIBRATION_CHANGED.encode(message)) == message


async def test_handle_calibration_changed_acks_the_sample() -> None:
    message = sample_calibration_changed()
    async with TestBroker(app.broker) as tb:
        await CalibrationChangedPublisher(app.broker).publish(message)
        await tb.drain(raise_errors=True)
        acked = tb.acked("sensors.calibration_changed")
    assert [delivery.payload for delivery in acked] == [message]


async def test_published_messages_are_recorded() -> None:
    message = sample_calibration_changed()
    async with TestBroker(app.broker) as tb:
        message_id = await CalibrationChangedPublisher(app.broker).publish(
            message, attributes={"origin": "test"}
        )
        await tb.drain()
        [published] = tb.published(CALIBRATION_CHANGED.name)
    assert published.id == message_id
    assert published.payload == message
    assert published.attributes["origin"] == "test"


async def test_a_failing_handler_is_retried_then_dead_lettered() -> None:
    # A broker of its own, with a handler that always raises: each failure is a nack, Pub/Sub
    # delivers the message again, and after max_delivery_attempts it goes to the dead letters.
    broker = PubSubBroker(project_id="test-project", topics=TOPICS)

    @broker.subscriber(
        "always-fails",
        topic_name=CALIBRATION_CHANGED.name,
        subscription_name="calibration_changed-always-fails",
        dead_letter_topic="calibration_changed-dead-letter",
        max_delivery_attempts=5,
    )
    async def always_fails(message: CalibrationChanged) -> None:
        raise RuntimeError("not today")

    async with TestBroker(broker) as tb:
        await CalibrationChangedPublisher(broker).publish(sample_calibration_changed())
        await tb.drain()
        attempts = [delivery.attempt for delivery in tb.nacked("always-fails")]
        dead_letters = tb.published("calibration_changed-dead-letter")
    assert attempts == [1, 2, 3, 4, 5]
    assert [message.data for message in dead_letters] == [
        CALIBRATION_CHANGED.encode(sample_calibration_changed())
    ]
