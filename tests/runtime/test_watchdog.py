"""The loop watchdog measures lag and names what blocked the loop (no emulator needed)."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable

import pytest

from pubsub_runtime._dispatch import handler_task_name
from pubsub_runtime._watchdog import LoopWatchdog

WATCHDOG = "pubsub_runtime.watchdog"


async def wait_for(condition: Callable[[], bool]) -> None:
    while not condition():  # noqa: ASYNC110 - polls state that no event announces
        await asyncio.sleep(0.01)


def watchdog_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == WATCHDOG and r.levelno >= logging.WARNING]


async def block_in_task(name: str, seconds: float) -> None:
    async def blocking_step() -> None:
        time.sleep(seconds)  # noqa: ASYNC251 - blocking the loop on purpose

    await asyncio.get_running_loop().create_task(blocking_step(), name=name)


async def test_a_blocking_handler_task_is_named_with_alias_handler_and_message_id(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger=WATCHDOG)
    watchdog = LoopWatchdog(threshold=0.1)
    watchdog.topics = {"billing": "invoices"}
    watchdog.start()
    try:
        qualname = f"{__name__}.block_in_task.<locals>.blocking_step"
        await block_in_task(handler_task_name("billing", qualname, "4711"), 0.4)
        await wait_for(lambda: bool(watchdog_records(caplog)))
    finally:
        await watchdog.stop()

    [record] = watchdog_records(caplog)
    assert record.alias == "billing"  # type: ignore[attr-defined]
    assert record.topic == "invoices"  # type: ignore[attr-defined]
    assert record.message_id == "4711"  # type: ignore[attr-defined]
    assert record.handler == qualname  # type: ignore[attr-defined]
    text = record.getMessage()
    assert f"handler {qualname!r} (alias 'billing', message id 4711)" in text
    assert f"{os.path.basename(__file__)}:" in text
    assert record.blocked_ms >= 100  # type: ignore[attr-defined]


async def test_a_blocking_task_that_is_not_a_handler_is_named_by_task_and_coroutine(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger=WATCHDOG)
    watchdog = LoopWatchdog(threshold=0.1)
    watchdog.start()
    try:
        await block_in_task("report-builder", 0.4)
        await wait_for(lambda: bool(watchdog_records(caplog)))
    finally:
        await watchdog.stop()

    [record] = watchdog_records(caplog)
    assert "task 'report-builder' (coroutine 'block_in_task.<locals>.blocking_step')" in (
        record.getMessage()
    )
    assert record.task == "report-builder"  # type: ignore[attr-defined]
    assert not hasattr(record, "alias")


async def test_lag_and_reported_blocks_are_exposed_for_the_health_payload() -> None:
    watchdog = LoopWatchdog(threshold=0.1)
    assert not watchdog.running
    watchdog.start()
    try:
        assert watchdog.running
        await block_in_task(handler_task_name("a", "h", "1"), 0.3)
        await wait_for(lambda: watchdog.blocks_reported == 1)
        stats = watchdog.stats()
    finally:
        await watchdog.stop()

    assert stats.running
    assert stats.block_threshold_ms == 100
    assert stats.max_lag_ms >= stats.block_threshold_ms  # a block is reported past the threshold
    assert stats.max_lag_ms >= stats.lag_ms >= 0
    assert not watchdog.running


async def test_repeated_blocks_by_one_handler_are_reported_once_then_counted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger=WATCHDOG)
    watchdog = LoopWatchdog(threshold=0.1, repeat_after=3600)
    watchdog.start()
    try:
        for message_id in ("1", "2", "3"):
            await block_in_task(handler_task_name("a", "h", message_id), 0.25)
            await asyncio.sleep(0.1)  # let the heartbeat close this block before the next
        await wait_for(
            lambda: len(watchdog._suppressed) == 1 and sum(watchdog._suppressed.values()) == 2
        )
        watchdog.repeat_after = 0
        await block_in_task(handler_task_name("a", "h", "4"), 0.25)
        await wait_for(lambda: len(watchdog_records(caplog)) == 2)
    finally:
        await watchdog.stop()

    first, second = watchdog_records(caplog)
    assert first.message_id == "1"  # type: ignore[attr-defined]
    assert second.message_id == "4"  # type: ignore[attr-defined]
    assert "(2 more such blocks since the last report)" in second.getMessage()


async def test_a_block_that_goes_on_is_reported_while_it_lasts(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger=WATCHDOG)
    watchdog = LoopWatchdog(threshold=0.1, stuck_after=0.2)
    watchdog.start()
    ended_at = 0.0
    try:
        await block_in_task(handler_task_name("loopy", "spin", "9"), 1.0)
        ended_at = time.time()
        await wait_for(lambda: len(watchdog_records(caplog)) == 2)
    finally:
        await watchdog.stop()

    still, final = watchdog_records(caplog)
    assert "still blocked" in still.getMessage()
    assert still.alias == "loopy"  # type: ignore[attr-defined]
    assert still.created < ended_at  # logged by the watcher thread during the block
    assert "still blocked" not in final.getMessage()


async def test_stop_ends_the_heartbeat_and_the_thread() -> None:
    watchdog = LoopWatchdog()
    watchdog.start()
    thread = watchdog._thread
    assert thread is not None and thread.is_alive()
    await watchdog.stop()
    assert not thread.is_alive()
    assert not watchdog.running
    assert watchdog.stats().running is False


def test_a_threshold_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        LoopWatchdog(threshold=0)
