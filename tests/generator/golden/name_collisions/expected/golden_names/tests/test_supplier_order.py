# This file is yours: pubsub-gen wrote it once and never overwrites it.
"""Tests of the supplier_order handlers, in memory: no Pub/Sub needed."""

from pubsub_runtime import PubSubBroker
from pubsub_runtime.testing import TestBroker

from .. import TOPICS
from ..app import app
from ..samples import sample_supplier_order
from ..supplier_order import SUPPLIER_ORDER, SupplierOrder, SupplierOrderPublisher


def test_the_sample_round_trips_through_the_codec() -> None:
    message = sample_supplier_order()
    assert SUPPLIER_ORDER.decode(SUPPLIER_ORDER.encode(message)) == message


async def test_handle_supplier_order_acks_the_sample() -> None:
    message = sample_supplier_order()
    async with TestBroker(app.broker) as tb:
        await SupplierOrderPublisher(app.broker).publish(message)
        await tb.drain(raise_errors=True)
        acked = tb.acked("names.supplier_order")
    assert [delivery.payload for delivery in acked] == [message]


async def test_published_messages_are_recorded() -> None:
    message = sample_supplier_order()
    async with TestBroker(app.broker) as tb:
        message_id = await SupplierOrderPublisher(app.broker).publish(
            message, attributes={"origin": "test"}
        )
        await tb.drain()
        [published] = tb.published(SUPPLIER_ORDER.name)
    assert published.id == message_id
    assert published.payload == message
    assert published.attributes["origin"] == "test"


async def test_a_failing_handler_is_retried_then_dead_lettered() -> None:
    # A broker of its own, with a handler that always raises: each failure is a nack, Pub/Sub
    # delivers the message again, and after max_delivery_attempts it goes to the dead letters.
    broker = PubSubBroker(project_id="test-project", topics=TOPICS)

    @broker.subscriber(
        "always-fails",
        topic_name=SUPPLIER_ORDER.name,
        subscription_name="supplier_order-always-fails",
        dead_letter_topic="supplier_order-dead-letter",
        max_delivery_attempts=5,
    )
    async def always_fails(message: SupplierOrder) -> None:
        raise RuntimeError("not today")

    async with TestBroker(broker) as tb:
        await SupplierOrderPublisher(broker).publish(sample_supplier_order())
        await tb.drain()
        attempts = [delivery.attempt for delivery in tb.nacked("always-fails")]
        dead_letters = tb.published("supplier_order-dead-letter")
    assert attempts == [1, 2, 3, 4, 5]
    assert [message.data for message in dead_letters] == [
        SUPPLIER_ORDER.encode(sample_supplier_order())
    ]
