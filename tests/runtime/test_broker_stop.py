"""Acks reach Pub/Sub, also from handlers finishing during a stop; the rest is nacked."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest
from google.pubsub_v1 import SubscriberAsyncClient

from pubsub_runtime import Message, PubSubBroker
from pubsub_runtime.testing import Emulator

pytestmark = pytest.mark.emulator

WAIT = 20.0  # guard against hangs only
ACK_DEADLINE = 10  # the smallest Pub/Sub allows: an unacked message returns after it


async def pull_for(subscription: str, seconds: float) -> list[bytes]:
    """Everything a plain Pull gets from ``subscription`` during ``seconds`` (acked as read)."""
    client = SubscriberAsyncClient()
    seen: list[bytes] = []
    deadline = time.monotonic() + seconds
    try:
        while (left := deadline - time.monotonic()) > 0:
            response = await client.pull(
                subscription=subscription, max_messages=100, timeout=max(left, 0.5)
            )
            if response.received_messages:
                seen.extend(m.message.data for m in response.received_messages)
                await client.acknowledge(
                    subscription=subscription,
                    ack_ids=[m.ack_id for m in response.received_messages],
                )
    finally:
        await client.transport.close()
    return seen


async def test_an_acked_message_is_not_delivered_again(
    pubsub_emulator: Emulator, unique_name: Callable[[str], str]
) -> None:
    broker = PubSubBroker(pubsub_emulator.project_id)
    topic = unique_name("acked")
    handled = asyncio.Event()

    @broker.subscriber(
        "acked",
        topic_name=topic,
        subscription_name=unique_name("acked-sub"),
        ack_deadline_seconds=ACK_DEADLINE,
    )
    async def handle(message: Message) -> None:
        handled.set()

    async with broker:
        await broker.publish(topic_name=topic, data="handled")
        await asyncio.wait_for(handled.wait(), WAIT)
    await broker.publish(topic_name=topic, data="published after the stop")

    # Past the ack deadline an unacked message would be back; only the new one may come.
    path = broker.subscribers[0].subscription_path
    assert await pull_for(path, ACK_DEADLINE + 2) == [b"published after the stop"]


async def test_stop_lets_a_handler_finish_acks_it_and_nacks_what_outlives_the_timeout(
    pubsub_emulator: Emulator, unique_name: Callable[[str], str]
) -> None:
    broker = PubSubBroker(pubsub_emulator.project_id)
    topic, subscription = unique_name("stop"), unique_name("stop-sub")
    started = {"slow": asyncio.Event(), "stuck": asyncio.Event()}
    release = asyncio.Event()
    outcome: dict[str, str] = {}

    @broker.subscriber(
        "stop", topic_name=topic, subscription_name=subscription, ack_deadline_seconds=ACK_DEADLINE
    )
    async def handle(message: Message) -> None:
        kind = message.data.decode()
        started[kind].set()
        try:
            if kind == "slow":
                await release.wait()
            else:
                await asyncio.Event().wait()  # never ends by itself
        except asyncio.CancelledError:
            outcome[kind] = "cancelled"
            raise
        outcome[kind] = "finished"

    await broker.start()
    await broker.publish(topic_name=topic, data="slow")
    await broker.publish(topic_name=topic, data="stuck")
    await asyncio.wait_for(asyncio.gather(*(e.wait() for e in started.values())), WAIT)

    stopping = asyncio.create_task(broker.stop(timeout=2))
    await asyncio.sleep(0)  # lets stop() begin: it stops pulling before its first await
    assert broker.stopping
    release.set()  # "slow" finishes after pulling stopped: its ack must still be sent
    await asyncio.wait_for(stopping, WAIT)

    assert outcome == {"slow": "finished", "stuck": "cancelled"}
    assert broker.subscribers[0].state == "stopped"
    assert broker.subscribers[0].in_flight == 0
    # Past the ack deadline, an unacked "slow" would be back; the nacked "stuck" is back at once.
    path = broker.subscribers[0].subscription_path
    assert await pull_for(path, ACK_DEADLINE + 2) == [b"stuck"]


async def test_messages_waiting_for_room_are_handed_back_at_stop(
    pubsub_emulator: Emulator, unique_name: Callable[[str], str]
) -> None:
    broker = PubSubBroker(pubsub_emulator.project_id)
    topic, subscription = unique_name("room"), unique_name("room-sub")
    first = asyncio.Event()
    handled: list[bytes] = []

    @broker.subscriber("room", topic_name=topic, subscription_name=subscription, max_messages=1)
    async def handle(message: Message) -> None:
        handled.append(message.data)
        first.set()
        await asyncio.sleep(0.5)

    await broker.start()
    await asyncio.gather(*(broker.publish(topic_name=topic, data=str(i)) for i in range(5)))
    await asyncio.wait_for(first.wait(), WAIT)
    await broker.stop(timeout=5)

    assert len(handled) == 1  # the one running finished; the others never started
    left = await pull_for(broker.subscribers[0].subscription_path, 3)
    assert sorted(left + handled) == [str(i).encode() for i in range(5)]
