"""What a handler's result means: ack, nack, nack later; and the options that shape it.

``run_handler`` is the one place that decides, for the real subscriber and the test broker.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from pubsub_runtime import Drop, Message, PubSubBroker, Retry
from pubsub_runtime._config import SubscriberOptions
from pubsub_runtime._dispatch import ACK, NACK, Outcome, inspect_handler, run_handler


async def outcome_of(handler: Any, *, timeout: float | None = None) -> Outcome:  # noqa: ASYNC109
    call = inspect_handler(handler, "orders")
    message: Message[Any] = Message("m-1", b"{}", delivery_attempt=3)
    return await run_handler(handler, call, message, alias="orders", timeout=timeout)


async def test_returning_acks() -> None:
    async def handle(message: Message) -> None:
        pass

    assert await outcome_of(handle) == ACK


async def test_raising_nacks_and_logs_the_failure(caplog: pytest.LogCaptureFixture) -> None:
    async def handle(message: Message) -> None:
        raise ValueError("card declined")

    with caplog.at_level(logging.ERROR, "pubsub_runtime"):
        assert await outcome_of(handle) == NACK
    [record] = caplog.records
    assert "m-1" in record.getMessage() and "card declined" in record.getMessage()
    assert record.__dict__["delivery_attempt"] == 3


async def test_retry_with_a_delay_nacks_for_redelivery_after_that_delay() -> None:
    async def handle(message: Message) -> None:
        raise Retry(delay=12.5, reason="rate limited")

    assert await outcome_of(handle) == Outcome(ack=False, delay=13)  # whole seconds, rounded up


async def test_retry_without_a_delay_is_a_plain_nack(caplog: pytest.LogCaptureFixture) -> None:
    async def handle(message: Message) -> None:
        raise Retry()

    with caplog.at_level(logging.INFO, "pubsub_runtime"):
        assert await outcome_of(handle) == NACK
    assert [r.levelno for r in caplog.records] == [logging.INFO]  # asked for: not an error


async def test_retry_delays_are_capped_at_pubsubs_longest_ack_deadline() -> None:
    async def handle(message: Message) -> None:
        raise Retry(delay=3600)

    assert await outcome_of(handle) == Outcome(ack=False, delay=600)


def test_a_negative_retry_delay_is_refused() -> None:
    with pytest.raises(ValueError, match="delay"):
        Retry(delay=-1)


async def test_drop_acks_without_handling_and_says_why(caplog: pytest.LogCaptureFixture) -> None:
    async def handle(message: Message) -> None:
        raise Drop("order already shipped")

    with caplog.at_level(logging.WARNING, "pubsub_runtime"):
        assert await outcome_of(handle) == ACK
    [record] = caplog.records
    assert "dropped message m-1" in record.getMessage()
    assert "order already shipped" in record.getMessage()


async def test_a_returned_retry_or_drop_counts_like_a_raised_one() -> None:
    async def retry(message: Message) -> Retry:
        return Retry(delay=5)

    async def drop(message: Message) -> Drop:
        return Drop("duplicate")

    assert await outcome_of(retry) == Outcome(ack=False, delay=5)
    assert await outcome_of(drop) == ACK


async def test_a_handler_past_its_timeout_is_cancelled_and_nacked(
    caplog: pytest.LogCaptureFixture,
) -> None:
    cancelled = asyncio.Event()

    async def handle(message: Message) -> None:
        try:
            await asyncio.Event().wait()  # never set
        except asyncio.CancelledError:
            cancelled.set()
            raise

    with caplog.at_level(logging.WARNING, "pubsub_runtime"):
        assert await outcome_of(handle, timeout=0.2) == NACK
    assert cancelled.is_set()
    [record] = caplog.records
    assert "did not finish message m-1 within 0.2 s" in record.getMessage()


async def test_a_handlers_own_timeout_error_is_an_ordinary_failure(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def handle(message: Message) -> None:
        raise TimeoutError("the database did not answer")

    with caplog.at_level(logging.ERROR, "pubsub_runtime"):
        assert await outcome_of(handle, timeout=30) == NACK
    [record] = caplog.records
    assert "failed on message m-1" in record.getMessage()


async def test_cancelling_the_handler_task_propagates_so_the_subscriber_nacks() -> None:
    started = asyncio.Event()

    async def handle(message: Message) -> None:
        started.set()
        await asyncio.Event().wait()

    task = asyncio.create_task(outcome_of(handle, timeout=30))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


def test_dead_lettering_poison_messages_needs_a_dead_letter_topic() -> None:
    broker = PubSubBroker("p")
    with pytest.raises(ValueError, match="needs a dead_letter_topic"):
        broker.subscriber("a", topic_name="t", subscription_name="s", on_decode_error="dead_letter")
    with pytest.raises(ValueError, match="on_decode_error must be"):
        SubscriberOptions(on_decode_error="drop")  # type: ignore[arg-type]


def test_a_handler_timeout_must_be_positive() -> None:
    with pytest.raises(ValueError, match="timeout"):
        SubscriberOptions(timeout=0)
    assert SubscriberOptions(timeout=2.5).timeout == 2.5
