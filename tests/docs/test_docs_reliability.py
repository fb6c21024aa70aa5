"""Claims of the dead-letters guide beyond its example's own tests (test_docs_how_to.py)."""

from __future__ import annotations

import importlib

import pytest

from pubsub_runtime import PubSubBroker
from pubsub_runtime.testing import TestBroker


def test_dead_lettering_poison_messages_needs_a_dead_letter_topic() -> None:
    broker = PubSubBroker(project_id="my-project")
    with pytest.raises(ValueError, match="needs a dead_letter_topic"):
        broker.subscriber(
            "charge", topic_name="t", subscription_name="s", on_decode_error="dead_letter"
        )


async def test_the_poison_copy_names_the_attempt_that_failed() -> None:
    service = importlib.import_module("docs_src.how_to.dead_letters.service")
    async with TestBroker(service.broker) as memory:
        await memory.publish("order_placed", b"not an order", {"channel": "web"})
        await memory.drain()
    [copy] = memory.published("order_placed-dead")
    assert copy.data == b"not an order"
    assert copy.attributes["channel"] == "web"
    assert copy.attributes["pubsub-delivery-attempt"] == "1"
    assert copy.attributes["pubsub-source-subscription"].endswith("/order_placed-charge")
    assert copy.attributes["pubsub-source-topic"].endswith("/order_placed")
