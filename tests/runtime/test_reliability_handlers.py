"""Handler failures on the emulator: nack and dead-letter, timeouts, ``Retry`` and ``Drop``."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest
from google.pubsub_v1 import SubscriberAsyncClient

from pubsub_runtime import Drop, Message, PubSubBroker, Retry
from pubsub_runtime.testing import Emulator

pytestmark = pytest.mark.emulator

WAIT = 60.0  # guard against hangs only
ACK_DEADLINE = 10  # the smallest Pub/Sub allows


async def test_a_failing_handler_is_dead_lettered_after_max_attempts_counting_each(
    pubsub_emulator: Emulator, unique_name: Callable[[str], str]
) -> None:
    broker = PubSubBroker(pubsub_emulator.project_id)
    topic, dead_letters = unique_name("invoices"), unique_name("invoices-dlq")
    attempts: list[int | None] = []
    dead_lettered: asyncio.Queue[Message] = asyncio.Queue()

    @broker.subscriber(
        "invoices",
        topic_name=topic,
        subscription_name=unique_name("invoices-sub"),
        dead_letter_topic=dead_letters,
        max_delivery_attempts=5,
        min_backoff_delay_secs=0,
        max_backoff_delay_secs=1,
    )
    async def handle(message: Message) -> None:
        attempts.append(message.delivery_attempt)
        raise RuntimeError("ledger unavailable")

    @broker.subscriber("dlq", topic_name=dead_letters, subscription_name=dead_letters)
    async def collect(message: Message) -> None:
        await dead_lettered.put(message)

    async with broker:
        await broker.publish(topic, b"invoice 1")
        dead = await asyncio.wait_for(dead_lettered.get(), WAIT)
        (subscriber, _) = broker.subscribers
        assert subscriber.state == "running"

    assert attempts == [1, 2, 3, 4, 5]
    assert dead.data == b"invoice 1"
    assert dead.attributes["CloudPubSubDeadLetterSourceDeliveryCount"] == "5"


async def test_a_handler_past_its_timeout_is_cancelled_and_its_message_redelivered(
    pubsub_emulator: Emulator, unique_name: Callable[[str], str]
) -> None:
    broker = PubSubBroker(pubsub_emulator.project_id)
    topic = unique_name("slow")
    attempts: list[str] = []
    cancelled: list[str] = []
    done = asyncio.Event()

    @broker.subscriber(
        "slow", topic_name=topic, subscription_name=unique_name("slow-sub"), timeout=0.5
    )
    async def handle(message: Message) -> None:
        attempts.append(message.id)
        if len(attempts) == 1:
            try:
                await asyncio.Event().wait()  # hangs: only the timeout ends it
            except asyncio.CancelledError:
                cancelled.append(message.id)
                raise
        done.set()

    async with broker:
        message_id = await broker.publish(topic, b"work")
        await asyncio.wait_for(done.wait(), WAIT)

    assert attempts == [message_id, message_id]
    assert cancelled == [message_id]


async def test_retry_with_a_delay_holds_the_redelivery_back_for_that_long(
    pubsub_emulator: Emulator, unique_name: Callable[[str], str]
) -> None:
    broker = PubSubBroker(pubsub_emulator.project_id)
    topic = unique_name("rate")
    seen: list[float] = []
    done = asyncio.Event()
    delay = 3

    @broker.subscriber("rate", topic_name=topic, subscription_name=unique_name("rate-sub"))
    async def handle(message: Message) -> None:
        seen.append(time.monotonic())
        if len(seen) == 1:
            raise Retry(delay=delay, reason="rate limited")
        done.set()

    async with broker:
        await broker.publish(topic, b"call the API")
        await asyncio.wait_for(done.wait(), WAIT)

    assert len(seen) == 2
    assert seen[1] - seen[0] >= delay - 0.5  # Pub/Sub kept it for the delay, not redelivered now


async def test_drop_acks_the_message_so_it_never_comes_back(
    pubsub_emulator: Emulator, unique_name: Callable[[str], str]
) -> None:
    broker = PubSubBroker(pubsub_emulator.project_id)
    topic, subscription = unique_name("dupes"), unique_name("dupes-sub")
    dropped = asyncio.Event()

    @broker.subscriber(
        "dupes", topic_name=topic, subscription_name=subscription, ack_deadline_seconds=ACK_DEADLINE
    )
    async def handle(message: Message) -> None:
        dropped.set()
        raise Drop("seen before")

    async with broker:
        await broker.publish(topic, b"duplicate")
        await asyncio.wait_for(dropped.wait(), WAIT)

    path = broker.subscribers[0].subscription_path
    assert await pull_for(path, ACK_DEADLINE + 2) == []  # acked: not even after the deadline


async def pull_for(subscription: str, seconds: float) -> list[bytes]:
    """Everything a plain Pull gets from ``subscription`` during ``seconds``."""
    client = SubscriberAsyncClient()
    seen: list[bytes] = []
    deadline = time.monotonic() + seconds
    try:
        while (left := deadline - time.monotonic()) > 0:
            response = await client.pull(
                subscription=subscription, max_messages=100, timeout=max(left, 0.5)
            )
            seen.extend(m.message.data for m in response.received_messages)
    finally:
        await client.transport.close()
    return seen
