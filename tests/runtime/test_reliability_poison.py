"""Poison messages on the emulator: they never reach the handler nor stop the subscriber.

``on_decode_error="dead_letter"`` copies them to the dead-letter topic at once, with the error;
the default ``"nack"`` leaves them to Pub/Sub's dead-letter policy.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable

import pytest
from pydantic import BaseModel

from pubsub_runtime import Message, PubSubBroker, TopicSpec
from pubsub_runtime.testing import Emulator

pytestmark = pytest.mark.emulator

WAIT = 60.0  # guard against hangs only


class Order(BaseModel):
    order_id: str
    amount: int


def order_topic(name: str) -> TopicSpec[Order]:
    return TopicSpec(
        name=name,
        model=Order,
        schema_type="JSON_SCHEMA",
        definition=json.dumps(Order.model_json_schema()),
    )


def poison_lines(caplog: pytest.LogCaptureFixture, message_id: str) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if "does not decode" in r.getMessage() and message_id in r.getMessage()
    ]


async def test_a_poison_message_is_dead_lettered_and_the_next_good_one_is_handled(
    pubsub_emulator: Emulator,
    unique_name: Callable[[str], str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    topic, dead_letters = unique_name("orders"), unique_name("orders-dlq")
    subscription = unique_name("orders-sub")
    broker = PubSubBroker(pubsub_emulator.project_id, topics={topic: order_topic(topic)})
    handled: asyncio.Queue[Order] = asyncio.Queue()
    dead_lettered: asyncio.Queue[Message] = asyncio.Queue()

    @broker.subscriber(
        "orders",
        topic_name=topic,
        subscription_name=subscription,
        dead_letter_topic=dead_letters,
        on_decode_error="dead_letter",
    )
    async def handle(order: Order) -> None:
        await handled.put(order)

    # autocreate made the dead-letter topic with a subscription of the same name
    @broker.subscriber("dlq", topic_name=dead_letters, subscription_name=dead_letters)
    async def collect(message: Message) -> None:
        await dead_lettered.put(message)

    with caplog.at_level(logging.ERROR, "pubsub_runtime"):
        async with broker:
            poison_id = await broker.publish(
                topic, b'{"order_id": 7', attributes={"source": "legacy"}
            )
            await broker.publish(topic, Order(order_id="o-1", amount=10))
            good = await asyncio.wait_for(handled.get(), WAIT)
            dead = await asyncio.wait_for(dead_lettered.get(), WAIT)
            (subscriber, _) = broker.subscribers
            assert subscriber.state == "running"

    assert good == Order(order_id="o-1", amount=10)
    assert handled.empty()  # the poison message never reached the handler
    assert dead.data == b'{"order_id": 7'
    assert dead.attributes["source"] == "legacy"
    assert dead.attributes["pubsub-source-message-id"] == poison_id
    assert dead.attributes["pubsub-source-subscription"].endswith(f"/subscriptions/{subscription}")
    assert dead.attributes["pubsub-source-topic"].endswith(f"/topics/{topic}")
    assert "JSON" in dead.attributes["pubsub-decode-error"]
    [line] = poison_lines(caplog, poison_id)  # logged once, with id, subscription and reason
    assert subscription in line and "dead-letter topic" in line


async def test_by_default_a_poison_message_is_nacked_until_pubsub_dead_letters_it(
    pubsub_emulator: Emulator,
    unique_name: Callable[[str], str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    topic, dead_letters = unique_name("orders"), unique_name("orders-dlq")
    broker = PubSubBroker(pubsub_emulator.project_id, topics={topic: order_topic(topic)})
    handled: list[Order] = []
    dead_lettered: asyncio.Queue[Message] = asyncio.Queue()

    @broker.subscriber(
        "orders",
        topic_name=topic,
        subscription_name=unique_name("orders-sub"),
        dead_letter_topic=dead_letters,
        max_delivery_attempts=5,
        min_backoff_delay_secs=0,
        max_backoff_delay_secs=1,
    )
    async def handle(order: Order) -> None:
        handled.append(order)

    @broker.subscriber("dlq", topic_name=dead_letters, subscription_name=dead_letters)
    async def collect(message: Message) -> None:
        await dead_lettered.put(message)

    with caplog.at_level(logging.ERROR, "pubsub_runtime"):
        async with broker:
            poison_id = await broker.publish(topic, b"\xff\xfe not json")
            dead = await asyncio.wait_for(dead_lettered.get(), WAIT)

    assert handled == []
    assert dead.data == b"\xff\xfe not json"
    lines = poison_lines(caplog, poison_id)
    assert len(lines) == 5  # one line per delivery attempt
    assert all("nacked" in line for line in lines)
