"""Subscription policies on the emulator: dead-letter after N attempts, ordering keys."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from google.pubsub_v1 import SubscriberAsyncClient, Subscription

from pubsub_runtime import Message, PubSubBroker
from pubsub_runtime.testing import Emulator

pytestmark = pytest.mark.emulator

WAIT = 30.0  # guard against hangs only


async def test_a_message_failing_every_attempt_is_dead_lettered(
    pubsub_emulator: Emulator, unique_name: Callable[[str], str]
) -> None:
    broker = PubSubBroker(pubsub_emulator.project_id)
    topic, dead_letters = unique_name("payments"), unique_name("payments-dlq")
    attempts: list[int | None] = []
    dead_lettered: asyncio.Queue[Message] = asyncio.Queue()

    @broker.subscriber(
        "payments",
        topic_name=topic,
        subscription_name=unique_name("payments-sub"),
        dead_letter_topic=dead_letters,
        max_delivery_attempts=5,
        min_backoff_delay_secs=0,
        max_backoff_delay_secs=1,
    )
    async def always_fails(message: Message) -> None:
        attempts.append(message.delivery_attempt)
        raise ValueError("card declined")

    # autocreate made the dead-letter topic with a subscription of the same name
    @broker.subscriber("payments-dlq", topic_name=dead_letters, subscription_name=dead_letters)
    async def collect(message: Message) -> None:
        await dead_lettered.put(message)

    async with broker:
        message_id = await broker.publish(
            topic_name=topic, data=b"pay 10", attributes={"customer": "c1"}
        )
        dead = await asyncio.wait_for(dead_lettered.get(), WAIT)

    assert attempts == [1, 2, 3, 4, 5]
    assert dead.data == b"pay 10"
    assert dead.attributes["customer"] == "c1"
    assert any(key.startswith("CloudPubSubDeadLetter") for key in dead.attributes)
    assert dead.id != message_id  # republished to the dead-letter topic


async def test_messages_of_one_ordering_key_are_handled_one_at_a_time_in_order(
    pubsub_emulator: Emulator, unique_name: Callable[[str], str]
) -> None:
    broker = PubSubBroker(pubsub_emulator.project_id)
    topic = unique_name("accounts")
    per_key = 8
    log: dict[str, list[str]] = {"k1": [], "k2": []}
    done = asyncio.Event()

    @broker.subscriber(
        "accounts",
        topic_name=topic,
        subscription_name=unique_name("accounts-sub"),
        enable_message_ordering=True,
    )
    async def handle(message: Message) -> None:
        assert message.ordering_key is not None
        index = int(message.data)
        log[message.ordering_key].append(f"start {index}")
        # earlier messages take longer: run concurrently they would finish out of order
        await asyncio.sleep(0.02 * (per_key - index))
        log[message.ordering_key].append(f"end {index}")
        if sum(len(v) for v in log.values()) == 4 * per_key:
            done.set()

    async with broker:
        await asyncio.gather(
            *(
                broker.publish(topic_name=topic, data=str(i), ordering_key=key)
                for i in range(per_key)
                for key in ("k1", "k2")
            )
        )
        await asyncio.wait_for(done.wait(), WAIT)

    expected = [entry for i in range(per_key) for entry in (f"start {i}", f"end {i}")]
    assert log == {"k1": expected, "k2": expected}


async def get_subscription(path: str) -> Subscription:
    client = SubscriberAsyncClient()
    try:
        return await client.get_subscription(subscription=path)
    finally:
        await client.transport.close()


async def test_autocreate_creates_the_subscription_with_its_options(
    pubsub_emulator: Emulator, unique_name: Callable[[str], str]
) -> None:
    broker = PubSubBroker(pubsub_emulator.project_id)
    topic, dead_letters = unique_name("options"), unique_name("options-dlq")

    @broker.subscriber(
        "options",
        topic_name=topic,
        subscription_name=unique_name("options-sub"),
        filter_expression='attributes.kind = "a"',
        dead_letter_topic=dead_letters,
        max_delivery_attempts=7,
        ack_deadline_seconds=42,
        enable_message_ordering=True,
        enable_exactly_once_delivery=True,
        min_backoff_delay_secs=3,
        max_backoff_delay_secs=30,
    )
    async def handle(message: Message) -> None:
        pass

    async with broker:
        created = await get_subscription(broker.subscribers[0].subscription_path)

    project = pubsub_emulator.project_id
    assert created.topic == f"projects/{project}/topics/{topic}"
    assert created.ack_deadline_seconds == 42
    assert created.filter == 'attributes.kind = "a"'
    assert created.enable_message_ordering
    assert created.enable_exactly_once_delivery
    assert (
        created.dead_letter_policy.dead_letter_topic == f"projects/{project}/topics/{dead_letters}"
    )
    assert created.dead_letter_policy.max_delivery_attempts == 7
    assert created.retry_policy.minimum_backoff.total_seconds() == 3
    assert created.retry_policy.maximum_backoff.total_seconds() == 30


async def test_autoupdate_changes_an_existing_subscription(
    pubsub_emulator: Emulator, unique_name: Callable[[str], str]
) -> None:
    topic, subscription = unique_name("update"), unique_name("update-sub")
    for deadline, autoupdate in ((20, False), (30, True)):
        broker = PubSubBroker(pubsub_emulator.project_id)

        @broker.subscriber(
            "update",
            topic_name=topic,
            subscription_name=subscription,
            ack_deadline_seconds=deadline,
            autoupdate=autoupdate,
        )
        async def handle(message: Message) -> None:
            pass

        await broker.start()
        await broker.stop()

    current = await get_subscription(broker.subscribers[0].subscription_path)
    assert current.ack_deadline_seconds == 30


async def test_an_exactly_once_subscription_delivers_and_acks(
    pubsub_emulator: Emulator, unique_name: Callable[[str], str]
) -> None:
    broker = PubSubBroker(pubsub_emulator.project_id)
    topic = unique_name("once")
    received: asyncio.Queue[str] = asyncio.Queue()

    @broker.subscriber(
        "once",
        topic_name=topic,
        subscription_name=unique_name("once-sub"),
        enable_exactly_once_delivery=True,
    )
    async def handle(message: Message) -> None:
        await received.put(message.id)

    async with broker:
        message_id = await broker.publish(topic_name=topic, data=b"once")
        assert await asyncio.wait_for(received.get(), WAIT) == message_id
        await asyncio.sleep(0.5)
    assert received.empty()
