"""Publish -> handler -> ack/nack on the real emulator, through the real client."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from google.api_core.exceptions import NotFound

from pubsub_runtime import Message, PubSubBroker
from pubsub_runtime.testing import Emulator

pytestmark = pytest.mark.emulator

WAIT = 20.0  # guard against hangs only; nothing asserts on how long things take


async def test_a_published_message_reaches_the_handler_with_its_id(
    pubsub_emulator: Emulator, unique_name: Callable[[str], str]
) -> None:
    broker = PubSubBroker(pubsub_emulator.project_id)
    topic, received = unique_name("orders"), asyncio.Queue[Message]()

    @broker.subscriber("orders", topic_name=topic, subscription_name=unique_name("orders-sub"))
    async def handle(message: Message) -> None:
        await received.put(message)

    async with broker:
        message_id = await broker.publish(
            topic_name=topic, data=b"hello", attributes={"kind": "greeting"}
        )
        message = await asyncio.wait_for(received.get(), WAIT)

    assert message.id == message_id
    assert message.data == b"hello"
    assert message.attributes == {"kind": "greeting"}
    assert message.ordering_key is None
    assert message.payload is None
    assert message.publish_time.tzinfo is not None


async def test_data_types_are_encoded(
    pubsub_emulator: Emulator, unique_name: Callable[[str], str]
) -> None:
    from pydantic import BaseModel, Field

    class Greeting(BaseModel):
        text_value: str = Field(alias="text")

    broker = PubSubBroker(pubsub_emulator.project_id)
    topic, received = unique_name("kinds"), asyncio.Queue[bytes]()

    @broker.subscriber("kinds", topic_name=topic, subscription_name=unique_name("kinds-sub"))
    async def handle(message: Message) -> None:
        await received.put(message.data)

    async with broker:
        await broker.publish(topic_name=topic, data="héllo")
        await broker.publish(topic_name=topic, data={"a": [1, 2]})
        await broker.publish(topic_name=topic, data=Greeting(text="hi"))
        datas = {await asyncio.wait_for(received.get(), WAIT) for _ in range(3)}

    assert datas == {"héllo".encode(), b'{"a":[1,2]}', b'{"text":"hi"}'}


async def test_a_failing_handler_gets_the_message_again(
    pubsub_emulator: Emulator,
    unique_name: Callable[[str], str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    broker = PubSubBroker(pubsub_emulator.project_id)
    topic = unique_name("flaky")
    attempts: list[str] = []
    succeeded = asyncio.Event()

    @broker.subscriber(
        "flaky",
        topic_name=topic,
        subscription_name=unique_name("flaky-sub"),
        min_backoff_delay_secs=0,  # the emulator applies the retry policy's backoff
        max_backoff_delay_secs=1,
    )
    async def handle(message: Message) -> None:
        attempts.append(message.id)
        if len(attempts) < 3:
            raise RuntimeError("database unavailable")
        succeeded.set()

    async with broker:
        message_id = await broker.publish(topic_name=topic, data=b"retry me")
        await asyncio.wait_for(succeeded.wait(), WAIT)

    assert attempts == [message_id] * 3
    failures = [r for r in caplog.records if r.name == "pubsub_runtime" and r.levelname == "ERROR"]
    assert len(failures) == 2
    assert all(message_id in r.getMessage() and "flaky" in r.getMessage() for r in failures)
    assert all("database unavailable" in r.getMessage() for r in failures)


async def test_handlers_run_concurrently(
    pubsub_emulator: Emulator, unique_name: Callable[[str], str]
) -> None:
    broker = PubSubBroker(pubsub_emulator.project_id)
    topic = unique_name("parallel")
    events: list[tuple[str, str]] = []
    all_done = asyncio.Event()
    count = 20

    @broker.subscriber("parallel", topic_name=topic, subscription_name=unique_name("parallel-sub"))
    async def handle(message: Message) -> None:
        events.append(("start", message.id))
        await asyncio.sleep(0.3)
        events.append(("end", message.id))
        if sum(kind == "end" for kind, _ in events) == count:
            all_done.set()

    async with broker:
        await asyncio.gather(*(broker.publish(topic_name=topic, data=str(i)) for i in range(count)))
        await asyncio.wait_for(all_done.wait(), WAIT)

    kinds = [kind for kind, _ in events]
    assert kinds == ["start"] * count + ["end"] * count


async def test_max_messages_bounds_the_handlers_in_flight(
    pubsub_emulator: Emulator, unique_name: Callable[[str], str]
) -> None:
    broker = PubSubBroker(pubsub_emulator.project_id)
    topic = unique_name("bounded")
    running = peak = handled = 0
    all_done = asyncio.Event()

    @broker.subscriber(
        "bounded",
        topic_name=topic,
        subscription_name=unique_name("bounded-sub"),
        max_messages=3,
    )
    async def handle(message: Message) -> None:
        nonlocal running, peak, handled
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.05)
        running -= 1
        handled += 1
        if handled == 12:
            all_done.set()

    async with broker:
        await asyncio.gather(*(broker.publish(topic_name=topic, data=str(i)) for i in range(12)))
        await asyncio.wait_for(all_done.wait(), WAIT)
        assert broker.subscribers[0].in_flight == 0

    assert peak == 3


def test_a_sync_handler_is_refused_with_the_reason() -> None:
    broker = PubSubBroker("any-project")

    with pytest.raises(TypeError, match="async def") as raised:

        @broker.subscriber("sync", topic_name="topic", subscription_name="subscription")
        def handle(message: Message) -> None:
            pass

    assert "block" in str(raised.value)
    assert broker.subscribers == ()


def test_aliases_are_unique() -> None:
    broker = PubSubBroker("any-project")

    @broker.subscriber("same", topic_name="topic", subscription_name="one")
    async def first(message: Message) -> None:
        pass

    with pytest.raises(ValueError, match="already registered"):

        @broker.subscriber("same", topic_name="topic", subscription_name="two")
        async def second(message: Message) -> None:
            pass


async def test_subscriber_state_follows_the_broker(
    pubsub_emulator: Emulator, unique_name: Callable[[str], str]
) -> None:
    broker = PubSubBroker(pubsub_emulator.project_id)

    @broker.subscriber(
        "state", topic_name=unique_name("state"), subscription_name=unique_name("state-sub")
    )
    async def handle(message: Message) -> None:
        pass

    (subscriber,) = broker.subscribers
    assert (subscriber.state, broker.started) == ("idle", False)
    await broker.start()
    assert (subscriber.state, broker.started, broker.stopping) == ("running", True, False)
    await broker.stop()
    assert (subscriber.state, broker.started, broker.stopping) == ("stopped", False, False)


async def test_publishing_to_a_missing_topic_fails_unless_autocreate(
    pubsub_emulator: Emulator, unique_name: Callable[[str], str]
) -> None:
    broker = PubSubBroker(pubsub_emulator.project_id)
    topic = unique_name("missing")
    try:
        with pytest.raises(NotFound):
            await broker.publish(topic_name=topic, data=b"x")
        message_id = await broker.publish(topic_name=topic, data=b"x", autocreate=True)
        assert message_id
    finally:
        await broker.stop()


async def test_concurrent_publishes_each_get_their_own_id(
    pubsub_emulator: Emulator, unique_name: Callable[[str], str]
) -> None:
    broker = PubSubBroker(pubsub_emulator.project_id, publish_max_messages=7)
    topic, received = unique_name("burst"), asyncio.Queue[Message]()

    @broker.subscriber("burst", topic_name=topic, subscription_name=unique_name("burst-sub"))
    async def handle(message: Message) -> None:
        await received.put(message)

    async with broker:
        ids = await asyncio.gather(
            *(broker.publish(topic_name=topic, data=str(i)) for i in range(50))
        )
        messages = [await asyncio.wait_for(received.get(), WAIT) for _ in range(50)]

    assert len(set(ids)) == 50
    assert {m.id: m.data for m in messages} == {ids[i]: str(i).encode() for i in range(50)}
