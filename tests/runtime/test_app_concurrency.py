"""The service answers HTTP while handlers await, and names a handler that blocks the loop."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
import pytest

from pubsub_runtime import FastPubSub, Message, PubSubBroker, _offload
from pubsub_runtime._offload import run_in_process
from pubsub_runtime.testing import Emulator

pytestmark = pytest.mark.emulator

WATCHDOG = "pubsub_runtime.watchdog"


@asynccontextmanager
async def serving(app: FastPubSub) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
            yield client


async def wait_for(condition: Callable[[], bool]) -> None:
    while not condition():  # noqa: ASYNC110 - polls state that no event announces
        await asyncio.sleep(0.01)


async def test_alive_answers_while_twenty_handlers_are_awaiting(
    pubsub_emulator: Emulator, unique_name: Callable[[str], str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=WATCHDOG)
    topic, subscription = unique_name("await"), unique_name("await-sub")
    broker = PubSubBroker(project_id=pubsub_emulator.project_id)
    release = asyncio.Event()
    entered: set[str] = set()
    finished: set[str] = set()

    @broker.subscriber(alias="awaiter", topic_name=topic, subscription_name=subscription)
    async def wait_for_release(message: Message) -> None:
        entered.add(message.id)
        await release.wait()
        finished.add(message.id)

    app = FastPubSub(broker)
    async with serving(app) as client:
        published = set(
            await asyncio.gather(
                *(broker.publish(topic_name=topic, data=f"n{i}") for i in range(20))
            )
        )
        await wait_for(lambda: entered == published)

        alive = await client.get("/consumers/alive")
        # Every handler is still inside its await: the gate opens only after the answer.
        in_flight_when_answered = len(entered - finished)
        release.set()
        await wait_for(lambda: finished == published)

    assert alive.status_code == 200
    assert in_flight_when_answered == 20
    assert alive.json()["subscribers"][0]["in_flight"] == 20
    assert not [r for r in caplog.records if getattr(r, "alias", None) == "awaiter"]


async def test_a_handler_calling_time_sleep_is_reported_by_function_alias_and_message_id(
    pubsub_emulator: Emulator, unique_name: Callable[[str], str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger=WATCHDOG)
    topic, subscription = unique_name("block"), unique_name("block-sub")
    broker = PubSubBroker(project_id=pubsub_emulator.project_id)
    handled: list[str] = []

    @broker.subscriber(alias="sleepy", topic_name=topic, subscription_name=subscription)
    async def sleep_without_await(message: Message) -> None:
        time.sleep(0.5)  # noqa: ASYNC251 - the mistake the watchdog exists to catch
        handled.append(message.id)

    app = FastPubSub(broker)
    async with serving(app) as client:
        message_id = await broker.publish(topic_name=topic, data=b"x")
        await wait_for(lambda: any(r.name == WATCHDOG for r in caplog.records))
        health = (await client.get("/consumers/alive")).json()

    [warning] = [r for r in caplog.records if r.name == WATCHDOG]
    assert handled == [message_id]
    assert warning.levelno == logging.WARNING
    assert warning.alias == "sleepy"  # type: ignore[attr-defined]
    assert warning.message_id == message_id  # type: ignore[attr-defined]
    assert warning.topic == topic  # type: ignore[attr-defined]
    assert warning.handler.endswith("sleep_without_await")  # type: ignore[attr-defined]
    text = warning.getMessage()
    assert "sleep_without_await" in text and "'sleepy'" in text and message_id in text
    assert f"{os.path.basename(__file__)}:" in text  # the line of the blocking call
    assert "run_in_process" in text and "--workers" in text
    assert warning.blocked_ms >= 100  # type: ignore[attr-defined]  # reported past the threshold
    assert health["loop"]["blocks_reported"] == 1
    assert health["loop"]["max_lag_ms"] >= health["loop"]["block_threshold_ms"]


def busy_sum(n: int) -> tuple[int, int]:
    """CPU work for the process pool; module level so that it pickles."""
    return sum(range(n)), os.getpid()


async def test_cpu_work_offloaded_to_the_process_pool_does_not_block_the_loop(
    pubsub_emulator: Emulator, unique_name: Callable[[str], str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger=WATCHDOG)
    topic, subscription = unique_name("cpu"), unique_name("cpu-sub")
    broker = PubSubBroker(project_id=pubsub_emulator.project_id)
    results: list[tuple[int, int]] = []

    @broker.subscriber(alias="cpu", topic_name=topic, subscription_name=subscription)
    async def compute(message: Message) -> None:
        results.append(await run_in_process(busy_sum, int(message.data)))

    app = FastPubSub(broker)
    async with serving(app):
        await broker.publish(topic_name=topic, data=b"1000")
        await wait_for(lambda: bool(results))

    [(total, pid)] = results
    assert total == sum(range(1000))
    assert pid != os.getpid()
    assert _offload._pool is None  # the app shut the pool down with itself
    assert not [r for r in caplog.records if getattr(r, "alias", None) == "cpu"]
