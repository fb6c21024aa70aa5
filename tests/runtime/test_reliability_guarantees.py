"""Pub/Sub's delivery guarantees at the edges: exactly-once acks, leases, order after a failure.

Each test drives the real subscriber on the emulator (the ordering one also the ``TestBroker``,
with one test body): a handler that outlives its lease on an exactly-once subscription, a backlog
waiting for handler slots, and a failure in the middle of an ordering key.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import grpc
import pytest
from google.pubsub_v1 import PubsubMessage, SubscriberAsyncClient
from google.pubsub_v1.services.subscriber.transports import SubscriberGrpcAsyncIOTransport

from pubsub_runtime import AckResult, Message, PubSubBroker, _observe
from pubsub_runtime._acks import AckBatcher
from pubsub_runtime._transport import (
    ClientSettings,
    close_client,
    new_publisher_client,
    new_subscriber_client,
)
from pubsub_runtime.testing import TestBroker
from pubsub_runtime.testing._emulator import free_port

WAIT = 60.0  # guard against hangs only; nothing asserts on how long things take


class Settlements(_observe.Observer):
    """Records what the subscriber reports as settled, per message id."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def settled(
        self, source: _observe.Source, message: Message[object], settlement: _observe.Settlement
    ) -> None:
        self.seen.append((message.id, settlement))


@contextlib.contextmanager
def recording() -> Iterator[Settlements]:
    recorder = Settlements()
    _observe.install(recorder)
    try:
        yield recorder
    finally:
        _observe.uninstall(recorder)


async def until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(WAIT):
        while not condition():  # noqa: ASYNC110 - conditions on plain counters, polled
            await asyncio.sleep(0.05)


@pytest.mark.emulator
async def test_an_exactly_once_ack_refused_after_the_lease_ended_is_reported_not_counted(
    pubsub_emulator: object, unique_name: Callable[[str], str], caplog: pytest.LogCaptureFixture
) -> None:
    project = pubsub_emulator.project_id  # type: ignore[attr-defined]
    broker = PubSubBroker(project)
    topic = unique_name("once")
    attempts: list[str] = []
    results: list[AckResult] = []  # what ``await message.ack()`` said, per attempt

    @broker.subscriber(
        "once",
        topic_name=topic,
        subscription_name=unique_name("once-sub"),
        ack_deadline_seconds=10,
        enable_exactly_once_delivery=True,
    )
    async def handle(message: Message) -> None:
        attempts.append(message.id)
        if len(attempts) == 1:
            await asyncio.sleep(5.5)  # the lease loop extends the lease (by 10 s) in this time
            time.sleep(11)  # noqa: ASYNC251 - the process stalls: no extension goes out
            results.append(await message.ack())  # opted in: waits for Pub/Sub's answer
        # the second attempt returns: the subscriber acks, and counts it once confirmed

    with recording() as recorder, caplog.at_level(logging.WARNING, "pubsub_runtime"):
        async with broker:
            message_id = await broker.publish(topic_name=topic, data=b"charge")
            await until(lambda: len(recorder.seen) == 2)

    # The stalled handler's ack was refused (its ack id had expired): Pub/Sub redelivered the
    # message, and only the second ack counts.
    assert attempts == [message_id, message_id]
    assert results == [AckResult.INVALID_ACK_ID]
    assert sorted(recorder.seen) == [(message_id, "ack"), (message_id, "ack_failed")]
    [refusal] = [r for r in caplog.records if r.__dict__.get("message_id") == message_id]
    assert "PERMANENT_FAILURE_INVALID_ACK_ID" in refusal.getMessage()
    assert message_id in refusal.getMessage()


@pytest.mark.emulator
async def test_messages_waiting_for_a_handler_slot_keep_their_lease(
    pubsub_emulator: object, unique_name: Callable[[str], str]
) -> None:
    project = pubsub_emulator.project_id  # type: ignore[attr-defined]
    broker = PubSubBroker(project)
    topic, count, limit = unique_name("backlog"), 400, 10
    handled: Counter[str] = Counter()
    running, most_running = 0, 0

    @broker.subscriber(
        "backlog",
        topic_name=topic,
        subscription_name=unique_name("backlog-sub"),
        ack_deadline_seconds=10,
        max_messages=limit,
    )
    async def handle(message: Message) -> None:
        nonlocal running, most_running
        running += 1
        most_running = max(most_running, running)
        try:
            await asyncio.sleep(0.5)  # 400 messages take 20 s: twice the ack deadline
        finally:
            running -= 1
        handled[message.id] += 1

    async with broker:
        published = set(await broker.publish_many(topic, [b"%d" % i for i in range(count)]))
        await until(lambda: len(handled) == count)
        await asyncio.sleep(1.5)  # a redelivered copy would be handled by now

    assert set(handled) == published
    assert [message_id for message_id, n in handled.items() if n > 1] == []
    assert most_running <= limit


# -- ordering after a failure: the same test on the real subscriber and on the TestBroker ------


@pytest.fixture(params=["memory", pytest.param("emulator", marks=pytest.mark.emulator)])
def runner(
    request: pytest.FixtureRequest,
) -> Callable[[PubSubBroker], contextlib.AbstractAsyncContextManager[None]]:
    """Runs a broker for the test body: in memory (``TestBroker``) or on the emulator."""
    if request.param == "emulator":
        request.getfixturevalue("pubsub_emulator")

        @contextlib.asynccontextmanager
        async def on_emulator(broker: PubSubBroker) -> AsyncIterator[None]:
            async with broker:
                yield

        return on_emulator

    @contextlib.asynccontextmanager
    async def in_memory(broker: PubSubBroker) -> AsyncIterator[None]:
        async with TestBroker(broker):
            yield

    return in_memory


async def test_after_a_failure_the_rest_of_its_key_waits_until_it_succeeds(
    runner: Callable[[PubSubBroker], contextlib.AbstractAsyncContextManager[None]],
    unique_name: Callable[[str], str],
    pubsub_project_id: str,
) -> None:
    broker = PubSubBroker(pubsub_project_id)
    topic, count, failing = unique_name("ledger"), 150, 100
    handled: list[tuple[str, int]] = []  # (key, index) in the order handlers started
    succeeded: list[tuple[str, int]] = []

    @broker.subscriber(
        "ledger",
        topic_name=topic,
        subscription_name=unique_name("ledger-sub"),
        enable_message_ordering=True,
        min_backoff_delay_secs=0,
        max_backoff_delay_secs=1,
    )
    async def handle(message: Message) -> None:
        key, index = message.ordering_key or "", int(message.data)
        handled.append((key, index))
        if key == "a" and index == failing and handled.count(("a", failing)) == 1:
            raise RuntimeError("ledger locked")
        succeeded.append((key, index))

    async with runner(broker):
        for index in range(count):  # one at a time: the publish order is the key's order
            await broker.publish(topic_name=topic, data=b"%d" % index, ordering_key="a")
            await broker.publish(topic_name=topic, data=b"%d" % index, ordering_key="b")
        await until(lambda: len(succeeded) >= 2 * count)

    of_a = [index for key, index in handled if key == "a"]
    failed_at = of_a.index(failing)
    assert of_a[: failed_at + 1] == list(range(failing + 1))
    # after the failure nothing more of key "a" ran until 100 itself, and then it succeeded
    assert of_a[failed_at + 1] == failing
    assert [index for key, index in succeeded if key == "a"][failing] == failing
    # every message succeeded once (the order of the redelivered rest is the server's: the
    # emulator, unlike Pub/Sub, does not redeliver nacked messages of a key in order)
    assert sorted(index for key, index in succeeded if key == "a") == list(range(count))
    # the other key never waited for "a"
    assert [index for key, index in succeeded if key == "b"] == list(range(count))


@pytest.mark.emulator
async def test_a_lease_extension_refused_for_many_messages_is_logged_once_with_the_reasons(
    pubsub_emulator: object, unique_name: Callable[[str], str], caplog: pytest.LogCaptureFixture
) -> None:
    project = pubsub_emulator.project_id  # type: ignore[attr-defined]
    topic = f"projects/{project}/topics/{unique_name('leases')}"
    subscription = f"projects/{project}/subscriptions/{unique_name('leases-sub')}"
    settings = ClientSettings()
    publisher, subscriber = new_publisher_client(settings), new_subscriber_client(settings)
    try:
        await publisher.create_topic(name=topic)
        await subscriber.create_subscription(
            request={"name": subscription, "topic": topic, "enable_exactly_once_delivery": True}
        )
        await publisher.publish(
            topic=topic, messages=[PubsubMessage(data=b"%d" % i) for i in range(150)]
        )
        ack_ids: list[str] = []
        while len(ack_ids) < 150:
            pulled = await subscriber.pull(subscription=subscription, max_messages=150)
            ack_ids += [received.ack_id for received in pulled.received_messages]
        await subscriber.acknowledge(subscription=subscription, ack_ids=ack_ids)
        # Acked, so Pub/Sub refuses to extend any of them, and names each id in its answer
        acks = AckBatcher(subscription, lambda: subscriber, asyncio.get_running_loop())
        with caplog.at_level(logging.WARNING, "pubsub_runtime"):
            acks.extend(ack_ids, 30)
            await acks.drain()
    finally:
        await close_client(publisher)
        await close_client(subscriber)

    [record] = caplog.records
    assert record.getMessage() == (
        f"lease extension of 150 of 150 messages on {subscription} failed: "
        "150 x PERMANENT_FAILURE_INVALID_ACK_ID"
    )


class _CountCalls(grpc.aio.UnaryUnaryClientInterceptor):  # type: ignore[misc]
    def __init__(self) -> None:
        self.calls = 0

    async def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        self.calls += 1
        return await continuation(details, request)


async def test_a_confirmed_ack_retries_transient_failures_then_reports_them() -> None:
    # Nothing listens on the port: every call fails with UNAVAILABLE, a transient failure.
    counter = _CountCalls()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{free_port()}", interceptors=[counter])
    client = SubscriberAsyncClient(transport=SubscriberGrpcAsyncIOTransport(channel=channel))
    acks = AckBatcher(
        "projects/p/subscriptions/s", lambda: client, asyncio.get_running_loop(), retry_seconds=1
    )
    try:
        result, reason = await acks.ack_confirmed("ack-1", now=True)
    finally:
        await close_client(client)

    assert result is AckResult.OTHER  # never SUCCESS for an ack Pub/Sub did not confirm
    assert reason.startswith("UNAVAILABLE")
    assert counter.calls > 1  # retried with backoff until the window ended
