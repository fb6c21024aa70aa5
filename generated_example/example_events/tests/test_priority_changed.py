# This file is yours: pubsub-gen wrote it once and never overwrites it.
"""Tests of the priority_changed handlers, in memory: no Pub/Sub needed."""

from pubsub_runtime.testing import TestBroker

from ..app import app
from ..priority_changed import PRIORITY_CHANGED, PriorityChangedPublisher
from ..samples import sample_priority_changed


def test_the_sample_round_trips_through_the_codec() -> None:
    message = sample_priority_changed()
    assert PRIORITY_CHANGED.decode(PRIORITY_CHANGED.encode(message)) == message


async def test_handle_priority_changed_acks_the_sample() -> None:
    message = sample_priority_changed()
    async with TestBroker(app.broker) as tb:
        await PriorityChangedPublisher(app.broker).publish(message)
        await tb.drain(raise_errors=True)
        acked = tb.acked("priority_changed-sub")
    assert [delivery.payload for delivery in acked] == [message]


async def test_published_messages_are_recorded() -> None:
    message = sample_priority_changed()
    async with TestBroker(app.broker) as tb:
        message_id = await PriorityChangedPublisher(app.broker).publish(
            message, attributes={"origin": "test"}
        )
        await tb.drain()
        [published] = tb.published(PRIORITY_CHANGED.name)
    assert published.id == message_id
    assert published.payload == message
    assert published.attributes["origin"] == "test"
