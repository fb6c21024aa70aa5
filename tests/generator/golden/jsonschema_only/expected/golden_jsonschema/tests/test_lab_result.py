# This file is yours: pubsub-gen wrote it once and never overwrites it.
"""Tests of the lab_result handlers, in memory: no Pub/Sub needed."""

from pubsub_runtime import PubSubBroker
from pubsub_runtime.testing import TestBroker

from .. import TOPICS
from ..app import app
from ..lab_result import LAB_RESULT, LabResult, LabResultPublisher
from ..samples import sample_lab_result


def test_the_sample_round_trips_through_the_codec() -> None:
    message = sample_lab_result()
    assert LAB_RESULT.decode(LAB_RESULT.encode(message)) == message


async def test_handle_lab_result_acks_the_sample() -> None:
    message = sample_lab_result()
    async with TestBroker(app.broker) as tb:
        await LabResultPublisher(app.broker).publish(message)
        await tb.drain(raise_errors=True)
        acked = tb.acked("clinic.lab_result")
    assert [delivery.payload for delivery in acked] == [message]


async def test_published_messages_are_recorded() -> None:
    message = sample_lab_result()
    async with TestBroker(app.broker) as tb:
        message_id = await LabResultPublisher(app.broker).publish(
            message, attributes={"origin": "test"}
        )
        await tb.drain()
        [published] = tb.published(LAB_RESULT.name)
    assert published.id == message_id
    assert published.payload == message
    assert published.attributes["origin"] == "test"


async def test_a_failing_handler_is_retried_then_dead_lettered() -> None:
    # A broker of its own, with a handler that always raises: each failure is a nack, Pub/Sub
    # delivers the message again, and after max_delivery_attempts it goes to the dead letters.
    broker = PubSubBroker(project_id="test-project", topics=TOPICS)

    @broker.subscriber(
        "always-fails",
        topic_name=LAB_RESULT.name,
        subscription_name="lab_result-always-fails",
        dead_letter_topic="lab_result-dead-letter",
        max_delivery_attempts=5,
    )
    async def always_fails(message: LabResult) -> None:
        raise RuntimeError("not today")

    async with TestBroker(broker) as tb:
        await LabResultPublisher(broker).publish(sample_lab_result())
        await tb.drain()
        attempts = [delivery.attempt for delivery in tb.nacked("always-fails")]
        dead_letters = tb.published("lab_result-dead-letter")
    assert attempts == [1, 2, 3, 4, 5]
    assert [message.data for message in dead_letters] == [LAB_RESULT.encode(sample_lab_result())]
