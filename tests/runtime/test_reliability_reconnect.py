"""Connection faults: the emulator killed and restarted under a running broker.

Each test runs its own emulator on a fixed port (restarting the shared one would break other
tests); depending on ``pubsub_emulator`` keeps the plugin's rule: skip when the emulator is not
installed, fail under CI=true. A restarted emulator has forgotten every topic and subscription,
so the subscriber has to create its subscription again (``autocreate``) before it resumes.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Callable, Iterator

import pytest
from google.api_core.exceptions import NotFound, ServiceUnavailable
from google.pubsub_v1 import SubscriberAsyncClient

from pubsub_runtime import FastPubSub, Message, PubSubBroker
from pubsub_runtime.testing import Emulator, start_emulator
from pubsub_runtime.testing._emulator import free_port

pytestmark = pytest.mark.emulator

WAIT = 90.0  # guard against hangs only


class Restartable:
    """An emulator of our own, on one port across restarts."""

    def __init__(self, project_id: str) -> None:
        self.project_id = project_id
        self.port = free_port()
        self.emulator: Emulator = start_emulator(port=self.port, project_id=project_id)

    @property
    def host(self) -> str:
        return self.emulator.host

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.emulator.pid, signal.SIGKILL)
        self.emulator.stop(timeout=5)  # reaps it

    def restart(self) -> None:
        self.emulator = start_emulator(port=self.port, project_id=self.project_id)


@pytest.fixture
def own_emulator(
    pubsub_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Restartable]:
    own = Restartable(pubsub_emulator.project_id)
    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", own.host)
    try:
        yield own
    finally:
        own.kill()


async def until(condition: Callable[[], bool], what: str) -> None:
    async def poll() -> None:
        while not condition():  # noqa: ASYNC110 - plain attributes, no event to wait on
            await asyncio.sleep(0.05)

    try:
        await asyncio.wait_for(poll(), WAIT)
    except TimeoutError:
        pytest.fail(f"gave up waiting until {what}")


async def until_subscription_exists(path: str) -> None:
    """Wait until the subscriber created its subscription again on the restarted emulator."""
    client = SubscriberAsyncClient()
    try:
        async with asyncio.timeout(WAIT):
            while True:
                try:
                    await client.get_subscription(subscription=path)
                    return
                except (NotFound, ServiceUnavailable):
                    await asyncio.sleep(0.1)
    finally:
        await client.transport.close()


async def test_the_subscriber_survives_an_emulator_restart_and_handles_every_message(
    own_emulator: Restartable, unique_name: Callable[[str], str]
) -> None:
    broker = PubSubBroker(own_emulator.project_id)
    app = FastPubSub(broker)
    topic = unique_name("restart")
    started: set[bytes] = set()
    handled: set[bytes] = set()

    @broker.subscriber("restart", topic_name=topic, subscription_name=unique_name("restart-sub"))
    async def handle(message: Message) -> None:
        started.add(message.data)
        await asyncio.sleep(1 if message.data.startswith(b"during") else 0.01)
        handled.add(message.data)

    before = [f"before {i}".encode() for i in range(50)]
    during = [f"during {i}".encode() for i in range(20)]
    after = [f"after {i}".encode() for i in range(50)]
    await broker.start()
    try:
        (subscriber,) = broker.subscribers
        await asyncio.gather(*(broker.publish(topic, data) for data in before))
        await until(lambda: set(before) <= handled, "the first 50 are handled")
        await asyncio.gather(*(broker.publish(topic, data) for data in during))
        await until(lambda: set(during) <= started, "20 slow handlers are running")

        own_emulator.kill()  # SIGKILL, with 20 handlers in flight
        await until(lambda: subscriber.state == "reconnecting", "the subscriber sees the outage")
        alive = app.health("alive")
        assert alive.status == "unavailable"
        assert "subscriber 'restart' is reconnecting" in alive.reasons

        own_emulator.restart()  # empty: no topic, no subscription
        # Messages published before a subscription exists are not for it: wait for it.
        await until_subscription_exists(subscriber.subscription_path)
        await until(lambda: subscriber.state == "running", "the subscriber is back")
        await asyncio.gather(*(broker.publish(topic, data) for data in after))
        await until(lambda: set(after) <= handled, "the 50 published after the restart")
        assert set(during) <= handled  # handlers in flight during the outage ran to the end
        assert broker.started
        # (the app's lifespan, which runs the loop watchdog, is not entered here)
        assert not [r for r in app.health("alive").reasons if "subscriber" in r]
    finally:
        await asyncio.wait_for(broker.stop(timeout=5), WAIT)


async def test_without_autocreate_a_vanished_subscription_fails_the_subscriber(
    own_emulator: Restartable, unique_name: Callable[[str], str]
) -> None:
    broker = PubSubBroker(own_emulator.project_id)
    topic, subscription = unique_name("gone"), unique_name("gone-sub")

    @broker.subscriber("setup", topic_name=topic, subscription_name=subscription)
    async def setup(message: Message) -> None:
        pass

    await broker.start()  # creates the topic and subscription
    await broker.stop()

    strict = PubSubBroker(own_emulator.project_id)

    @strict.subscriber("gone", topic_name=topic, subscription_name=subscription, autocreate=False)
    async def handle(message: Message) -> None:
        pass

    await strict.start()
    try:
        (subscriber,) = strict.subscribers
        own_emulator.kill()
        own_emulator.restart()
        await until(lambda: subscriber.state == "failed", "the subscriber gives up")
    finally:
        await asyncio.wait_for(strict.stop(timeout=1), WAIT)


async def test_a_publish_during_an_outage_is_retried_until_the_server_is_back(
    own_emulator: Restartable, unique_name: Callable[[str], str]
) -> None:
    broker = PubSubBroker(own_emulator.project_id)
    topic = unique_name("retry")
    await broker.publish(topic, b"warm up", autocreate=True)  # a connected client

    own_emulator.kill()
    publishing = asyncio.create_task(broker.publish(topic, b"during outage", autocreate=True))
    await asyncio.sleep(1)  # a few attempts fail with UNAVAILABLE meanwhile
    assert not publishing.done()
    own_emulator.restart()
    message_id = await asyncio.wait_for(publishing, WAIT)
    await broker.stop()

    assert message_id


async def test_after_recreating_its_subscription_the_stream_pulls_again_at_once(
    own_emulator: Restartable, unique_name: Callable[[str], str]
) -> None:
    # A 10 s outage grows the reconnect backoff to several seconds; re-creating the vanished
    # subscription means the server is back, so the stream must not wait that backoff out.
    broker = PubSubBroker(own_emulator.project_id)
    topic = unique_name("back")

    @broker.subscriber("back", topic_name=topic, subscription_name=unique_name("back-sub"))
    async def handle(message: Message) -> None:
        pass

    await broker.start()
    try:
        (subscriber,) = broker.subscribers
        own_emulator.kill()
        await until(lambda: subscriber.state == "reconnecting", "the subscriber sees the outage")
        await asyncio.sleep(10)
        own_emulator.restart()
        await until_subscription_exists(subscriber.subscription_path)
        recreated = asyncio.get_running_loop().time()
        await until(lambda: subscriber.state == "running", "the subscriber is back")
        resumed_after = asyncio.get_running_loop().time() - recreated
    finally:
        await asyncio.wait_for(broker.stop(timeout=5), WAIT)

    assert resumed_after < 1.5, f"pulled again only {resumed_after:.1f} s after re-creating"
