"""Eager handler start (Python 3.12+): a handler runs as soon as its message is dispatched.

On 3.12+ the handler's task starts eagerly: it runs at once, until it first suspends, so a
handler that never suspends is done before the next message of the response is dispatched.
It still runs as its own task (named for the watchdog) in its own copy of the context, its
message is acked once and released, and the messages of one ordering key stay in order.
On 3.11 the same tests hold, except that handlers start on the loop's next turn.
"""

from __future__ import annotations

import asyncio
import contextvars
import sys
from collections.abc import Callable

import pytest

from pubsub_runtime import AckResult, Message, PubSubBroker
from pubsub_runtime._dispatch import parse_handler_task_name
from pubsub_runtime.testing import Emulator

pytestmark = pytest.mark.emulator

WAIT = 30.0  # guard against hangs only
EAGER = sys.version_info >= (3, 12)
_seen_in_context: contextvars.ContextVar[str | None] = contextvars.ContextVar("seen", default=None)


async def test_a_handler_that_never_suspends_is_done_before_the_next_is_dispatched(
    pubsub_emulator: Emulator, unique_name: Callable[[str], str]
) -> None:
    broker = PubSubBroker(pubsub_emulator.project_id)
    topic, count = unique_name("eager"), 60
    in_flight: list[int] = []
    leaked: list[str] = []
    task_names: set[str] = set()
    done = asyncio.Event()

    @broker.subscriber("eager", topic_name=topic, subscription_name=unique_name("eager-sub"))
    async def handle(message: Message) -> None:
        # the ContextVar set by the previous handler must not be visible here
        previous = _seen_in_context.get()
        if previous is not None:
            leaked.append(previous)
        _seen_in_context.set(message.id)
        task = asyncio.current_task()
        assert task is not None
        parsed = parse_handler_task_name(task.get_name())
        assert parsed is not None and parsed[2] == message.id
        task_names.add(task.get_name())
        in_flight.append(subscriber.in_flight)
        if len(in_flight) == count:
            done.set()

    (subscriber,) = broker.subscribers
    async with broker:
        await broker.publish_many(topic, [str(i).encode() for i in range(count)])
        await asyncio.wait_for(done.wait(), WAIT)
        await asyncio.sleep(0.5)  # a redelivery (a lost ack) would show up as extra calls
        assert subscriber.in_flight == 0
        assert not subscriber._running
        assert not subscriber._leased

    assert len(in_flight) == count
    assert len(task_names) == count
    assert leaked == []
    if EAGER:
        assert max(in_flight) == 1  # each finished inside its own dispatch
    assert _seen_in_context.get() is None


async def test_a_handler_that_suspends_keeps_running_as_a_task_and_is_awaited_by_stop(
    pubsub_emulator: Emulator, unique_name: Callable[[str], str]
) -> None:
    broker = PubSubBroker(pubsub_emulator.project_id)
    topic, count = unique_name("eager-await"), 20
    started: list[str] = []
    finished: list[str] = []
    all_started = asyncio.Event()

    @broker.subscriber(
        "eager-await", topic_name=topic, subscription_name=unique_name("eager-await-sub")
    )
    async def handle(message: Message) -> None:
        started.append(message.id)
        if len(started) == count:
            all_started.set()
        await asyncio.sleep(0.3)
        finished.append(message.id)

    (subscriber,) = broker.subscribers
    await broker.start()
    try:
        await broker.publish_many(topic, [b"x"] * count)
        await asyncio.wait_for(all_started.wait(), WAIT)
        assert subscriber.in_flight == count
        assert len(subscriber._running) == count
    finally:
        await broker.stop()
    assert sorted(finished) == sorted(started)
    assert subscriber.in_flight == 0


async def test_a_long_queue_behind_one_ordering_key_runs_in_order(
    pubsub_emulator: Emulator, unique_name: Callable[[str], str]
) -> None:
    """Messages queued behind a key start from the previous one's end, not nested in it."""
    broker = PubSubBroker(pubsub_emulator.project_id)
    topic, count = unique_name("eager-ordered"), 400
    handled: list[int] = []
    done = asyncio.Event()

    @broker.subscriber(
        "eager-ordered",
        topic_name=topic,
        subscription_name=unique_name("eager-ordered-sub"),
        enable_message_ordering=True,
    )
    async def handle(message: Message) -> None:
        if int(message.data) % 2:
            await asyncio.sleep(0)  # half of them suspend once, half never do
        handled.append(int(message.data))
        if len(handled) == count:
            done.set()

    async with broker:
        await broker.publish_many(topic, [str(i).encode() for i in range(count)], ordering_key="k")
        await asyncio.wait_for(done.wait(), WAIT)

    assert handled == list(range(count))


async def test_a_handler_acks_its_message_first_thing(
    pubsub_emulator: Emulator, unique_name: Callable[[str], str]
) -> None:
    """While the eager first step runs, the handler already counts as running: message.ack()."""
    broker = PubSubBroker(pubsub_emulator.project_id)
    topic, count = unique_name("eager-ack"), 10
    results: list[AckResult] = []
    done = asyncio.Event()

    @broker.subscriber("eager-ack", topic_name=topic, subscription_name=unique_name("ack-sub"))
    async def handle(message: Message) -> None:
        results.append(await message.ack())  # before anything suspends
        if len(results) == count:
            done.set()

    (subscriber,) = broker.subscribers
    async with broker:
        await broker.publish_many(topic, [b"x"] * count)
        await asyncio.wait_for(done.wait(), WAIT)
        await asyncio.sleep(0.5)
        assert subscriber.in_flight == 0
        assert not subscriber._running
    assert results == [AckResult.SUCCESS] * count


async def test_messages_are_leased_while_their_handler_waits_or_runs_and_released_after(
    pubsub_emulator: Emulator, unique_name: Callable[[str], str]
) -> None:
    """A handler ending in its first step is never leased; one that suspends is, until it ends,
    and so are the messages of a response waiting for a slot (``max_messages``)."""
    broker = PubSubBroker(pubsub_emulator.project_id)
    topic, count, bound = unique_name("eager-lease"), 12, 3
    release = asyncio.Event()
    started: list[str] = []
    handled: list[str] = []
    all_handled = asyncio.Event()

    @broker.subscriber(
        "eager-lease",
        topic_name=topic,
        subscription_name=unique_name("eager-lease-sub"),
        max_messages=bound,
    )
    async def handle(message: Message) -> None:
        started.append(message._ack_id or "")
        if message.data == b"wait":
            await release.wait()
        handled.append(message.id)
        if len(handled) == count:
            all_handled.set()

    (subscriber,) = broker.subscribers
    async with broker:
        await broker.publish_many(topic, [b"wait"] * count)
        deadline = asyncio.get_running_loop().time() + WAIT
        while len(started) < bound:
            assert asyncio.get_running_loop().time() < deadline
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)  # the rest of the response, if any, waits for a slot
        assert len(started) == bound  # the bound holds
        assert subscriber.in_flight == bound
        # every message received so far is leased: the running ones and those waiting
        assert set(started) <= set(subscriber._leased)
        assert set(subscriber._running) == set(started)
        release.set()
        await asyncio.wait_for(all_handled.wait(), WAIT)
        await asyncio.sleep(0.5)
        assert subscriber.in_flight == 0
        assert not subscriber._running
        assert not subscriber._leased
    assert sorted(handled) == sorted(set(handled))


async def test_a_failure_before_or_after_suspending_nacks_only_that_message(
    pubsub_emulator: Emulator, unique_name: Callable[[str], str]
) -> None:
    """A handler that raises in its first step, or after it suspended, has its message nacked
    (and delivered again); the messages around it are acked once."""
    broker = PubSubBroker(pubsub_emulator.project_id)
    topic = unique_name("eager-fail")
    seen: list[bytes] = []
    acked_twice = asyncio.Event()

    @broker.subscriber("eager-fail", topic_name=topic, subscription_name=unique_name("fail-sub"))
    async def handle(message: Message) -> None:
        first = message.data not in seen
        seen.append(message.data)
        if message.data == b"suspend-then-fail":
            await asyncio.sleep(0.05)
        if first and message.data.endswith(b"fail"):
            raise RuntimeError(f"failed on {message.data!r}")
        if seen.count(b"fail") == 2 and seen.count(b"suspend-then-fail") == 2:
            acked_twice.set()

    (subscriber,) = broker.subscribers
    async with broker:
        await broker.publish_many(topic, [b"ok-1", b"fail", b"ok-2", b"suspend-then-fail", b"ok-3"])
        await asyncio.wait_for(acked_twice.wait(), WAIT)
        await asyncio.sleep(1.0)  # a lost ack or nack would show up as another delivery
        assert subscriber.in_flight == 0
        assert not subscriber._running
        assert not subscriber._leased
    assert sorted(seen) == sorted(
        [b"ok-1", b"ok-2", b"ok-3", b"fail", b"fail", b"suspend-then-fail", b"suspend-then-fail"]
    )
