"""Long handlers keep their lease; a lost connection is retried, not fatal."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import pytest

from pubsub_runtime import Message, PubSubBroker
from pubsub_runtime.testing import Emulator, start_emulator

pytestmark = pytest.mark.emulator

WAIT = 30.0  # guard against hangs only


async def test_a_handler_outliving_the_ack_deadline_keeps_its_message(
    pubsub_emulator: Emulator, unique_name: Callable[[str], str]
) -> None:
    broker = PubSubBroker(pubsub_emulator.project_id)
    topic = unique_name("long")
    deliveries: list[str] = []
    finished = asyncio.Event()

    @broker.subscriber(
        "long",
        topic_name=topic,
        subscription_name=unique_name("long-sub"),
        ack_deadline_seconds=10,
    )
    async def handle(message: Message) -> None:
        deliveries.append(message.id)
        await asyncio.sleep(13)  # past the 10 s deadline: the lease must be extended
        finished.set()

    async with broker:
        message_id = await broker.publish(topic_name=topic, data=b"slow work")
        await asyncio.wait_for(finished.wait(), WAIT)
        await asyncio.sleep(0.5)

    assert deliveries == [message_id]


async def test_losing_the_server_makes_the_subscriber_reconnect(
    pubsub_emulator: Emulator,
    unique_name: Callable[[str], str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    own = start_emulator(project_id=pubsub_emulator.project_id)
    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", own.host)
    broker = PubSubBroker(own.project_id)

    @broker.subscriber(
        "outage", topic_name=unique_name("outage"), subscription_name=unique_name("outage-sub")
    )
    async def handle(message: Message) -> None:
        pass

    try:
        await broker.start()
        (subscriber,) = broker.subscribers
        assert subscriber.state == "running"
        own.stop()

        async def until_reconnecting() -> None:
            while subscriber.state != "reconnecting":  # noqa: ASYNC110 - a plain attribute
                await asyncio.sleep(0.05)

        await asyncio.wait_for(until_reconnecting(), WAIT)
        assert broker.started
    finally:
        own.stop()
        await asyncio.wait_for(broker.stop(timeout=1), WAIT)
    assert broker.subscribers[0].state == "stopped"


async def test_an_idle_stream_stays_open_on_the_emulator(
    pubsub_emulator: Emulator,
    unique_name: Callable[[str], str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The emulator accepts a keepalive ping every 5 minutes at most: a channel pinging every
    30 s (as the GAPIC one does for the real service) was sent a ``too_many_pings`` GOAWAY a
    minute in, which cut its streams."""
    broker = PubSubBroker(pubsub_emulator.project_id)
    topic = unique_name("quiet")
    handled: list[bytes] = []

    @broker.subscriber("quiet", topic_name=topic, subscription_name=unique_name("quiet-sub"))
    async def handle(message: Message) -> None:
        handled.append(message.data)

    with caplog.at_level(logging.INFO, logger="pubsub_runtime"):
        await broker.start()
        try:
            (subscriber,) = broker.subscribers
            await asyncio.sleep(75)  # past the first GOAWAY (60 s in, measured)
            assert subscriber.state == "running"
            await broker.publish(topic, b"after a quiet minute")
            async with asyncio.timeout(WAIT):
                while not handled:  # noqa: ASYNC110 - a plain list, no event to wait on
                    await asyncio.sleep(0.05)
        finally:
            await broker.stop()
    assert handled == [b"after a quiet minute"]
    closed = [r.getMessage() for r in caplog.records if "reconnecting" in r.getMessage()]
    assert closed == [], closed
