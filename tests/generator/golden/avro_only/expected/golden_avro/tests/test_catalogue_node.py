# This file is yours: pubsub-gen wrote it once and never overwrites it.
"""Tests of the catalogue_node handlers, in memory: no Pub/Sub needed."""

from pubsub_runtime import PubSubBroker
from pubsub_runtime.testing import TestBroker

from .. import TOPICS
from ..app import app
from ..catalogue_node import CATALOGUE_NODE, CatalogueNode, CatalogueNodePublisher
from ..samples import sample_catalogue_node


def test_the_sample_round_trips_through_the_codec() -> None:
    message = sample_catalogue_node()
    assert CATALOGUE_NODE.decode(CATALOGUE_NODE.encode(message)) == message


async def test_handle_catalogue_node_acks_the_sample() -> None:
    message = sample_catalogue_node()
    async with TestBroker(app.broker) as tb:
        await CatalogueNodePublisher(app.broker).publish(message)
        await tb.drain(raise_errors=True)
        acked = tb.acked("library.catalogue_node")
    assert [delivery.payload for delivery in acked] == [message]


async def test_published_messages_are_recorded() -> None:
    message = sample_catalogue_node()
    async with TestBroker(app.broker) as tb:
        message_id = await CatalogueNodePublisher(app.broker).publish(
            message, attributes={"origin": "test"}
        )
        await tb.drain()
        [published] = tb.published(CATALOGUE_NODE.name)
    assert published.id == message_id
    assert published.payload == message
    assert published.attributes["origin"] == "test"


async def test_a_failing_handler_is_retried_then_dead_lettered() -> None:
    # A broker of its own, with a handler that always raises: each failure is a nack, Pub/Sub
    # delivers the message again, and after max_delivery_attempts it goes to the dead letters.
    broker = PubSubBroker(project_id="test-project", topics=TOPICS)

    @broker.subscriber(
        "always-fails",
        topic_name=CATALOGUE_NODE.name,
        subscription_name="catalogue_node-always-fails",
        dead_letter_topic="catalogue_node-dead-letter",
        max_delivery_attempts=5,
    )
    async def always_fails(message: CatalogueNode) -> None:
        raise RuntimeError("not today")

    async with TestBroker(broker) as tb:
        await CatalogueNodePublisher(broker).publish(sample_catalogue_node())
        await tb.drain()
        attempts = [delivery.attempt for delivery in tb.nacked("always-fails")]
        dead_letters = tb.published("catalogue_node-dead-letter")
    assert attempts == [1, 2, 3, 4, 5]
    assert [message.data for message in dead_letters] == [
        CATALOGUE_NODE.encode(sample_catalogue_node())
    ]
