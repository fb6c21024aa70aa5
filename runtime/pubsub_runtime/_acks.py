"""Acks, nacks and lease extensions of one subscription, batched into unary RPCs.

Unary ``Acknowledge``/``ModifyAckDeadline`` calls (rather than writes on the StreamingPull
stream) keep working after the stream is closed, so the acks of handlers that finish while the
subscriber stops still reach Pub/Sub, and they report errors (exactly-once delivery).

Plain acks are sent and forgotten: Pub/Sub may redeliver a message whatever the client does, so
handlers are idempotent anyway. A *confirmed* ack (``ack_confirmed``: every ack on an
exactly-once subscription, and ``await message.ack()``) resolves a future with Pub/Sub's answer
for that one ack id; transient failures are retried with backoff for ``retry_seconds`` (the
time the message's lease would last). On exactly-once subscriptions nacks are retried the same
way. A call refused for its size (RESOURCE_EXHAUSTED) is sent again in halves.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable, Coroutine, Sequence
from typing import TYPE_CHECKING, Any, Final

from google.pubsub_v1 import AcknowledgeRequest, ModifyAckDeadlineRequest

from pubsub_runtime._ack_errors import AckResult, read_failure

if TYPE_CHECKING:
    from google.pubsub_v1 import SubscriberAsyncClient

    from pubsub_runtime._ack_errors import Refusal

__all__ = ["ACK_BATCH_WINDOW", "AckAnswer", "AckBatcher"]

logger = logging.getLogger("pubsub_runtime")

# Seconds an ack waits for company before it is sent: each Acknowledge RPC costs the client
# CPU, so acks wait longer (measured -20% CPU per message at 250 ms against 50 ms); nacks and
# delays leave sooner, since they decide how soon a message is delivered again.
ACK_BATCH_WINDOW: Final = 0.25
_FLUSH_DELAY = 0.05
_MAX_IDS_PER_RPC = 1000  # keeps requests well under Pub/Sub's 512 KiB limit
_RPC_TIMEOUT = 60.0
_FIRST_RETRY = 0.1
_MAX_RETRY = 5.0
_MIN_CALL_TIMEOUT = 5.0
# Requests are built as raw protobuf and wrapped: given a list of ids, the proto-plus request
# would convert and append them one at a time (measured 0.3-0.5 µs per message).
_AckPb: Any = AcknowledgeRequest.pb()
_ModifyPb: Any = ModifyAckDeadlineRequest.pb()

AckAnswer = tuple[AckResult, str]  # the result, and Pub/Sub's reason when it is not SUCCESS
_SUCCESS: Final[AckAnswer] = (AckResult.SUCCESS, "")
_Waiters = dict[str, "asyncio.Future[AckAnswer]"]


def _chunks(ids: Sequence[str]) -> list[list[str]]:
    return [list(ids[i : i + _MAX_IDS_PER_RPC]) for i in range(0, len(ids), _MAX_IDS_PER_RPC)]


class AckBatcher:
    """Collects ack and nack ids and sends them a little later, or when many.

    ``ack_window``: seconds an ack waits for others to share its RPC. ``retry_seconds``: how
    long transient failures of confirmed acks (and of nacks when ``exactly_once``) are retried.
    """

    def __init__(
        self,
        subscription: str,
        client: Callable[[], SubscriberAsyncClient],
        loop: asyncio.AbstractEventLoop,
        *,
        ack_window: float = ACK_BATCH_WINDOW,
        retry_seconds: float = 60.0,
    ) -> None:
        self._subscription = subscription
        self._client = client
        self._loop = loop
        self._ack_window = ack_window
        self._retry_seconds = retry_seconds
        self.exactly_once = False
        self._acks: list[str] = []
        self._confirmed: _Waiters = {}
        self._nacks: list[str] = []
        self._delays: dict[int, list[str]] = {}  # redelivery delay in seconds -> ack ids
        self._flush_handle: asyncio.TimerHandle | None = None
        self._sending: set[asyncio.Task[None]] = set()

    def ack(self, ack_id: str) -> None:
        self._acks.append(ack_id)
        if len(self._acks) >= _MAX_IDS_PER_RPC:
            self.flush()
        elif self._flush_handle is None:
            self._flush_handle = self._loop.call_later(self._ack_window, self.flush)

    def ack_many(self, ack_ids: Sequence[str]) -> None:
        """``ack`` for each of ``ack_ids``, in one call."""
        if not ack_ids:
            return
        self._acks.extend(ack_ids)
        if len(self._acks) >= _MAX_IDS_PER_RPC:
            self.flush()
        elif self._flush_handle is None:
            self._flush_handle = self._loop.call_later(self._ack_window, self.flush)

    def ack_confirmed(self, ack_id: str, *, now: bool = False) -> asyncio.Future[AckAnswer]:
        """Ack, and learn Pub/Sub's answer; ``now`` sends it without waiting for company."""
        waiter = self._confirmed.get(ack_id)
        if waiter is None:
            waiter = self._confirmed[ack_id] = self._loop.create_future()
        if now or len(self._confirmed) >= _MAX_IDS_PER_RPC:
            self.flush()
        elif self._flush_handle is None:
            self._flush_handle = self._loop.call_later(self._ack_window, self.flush)
        return waiter

    def nack(self, ack_id: str) -> None:
        self._nacks.append(ack_id)
        self._flush_within(_FLUSH_DELAY)

    def _flush_within(self, delay: float) -> None:
        """Make sure a flush happens within ``delay`` seconds (sooner than a pending ack's)."""
        handle = self._flush_handle
        due = self._loop.time() + delay
        if handle is not None:
            if handle.when() <= due:
                return
            handle.cancel()
        self._flush_handle = self._loop.call_at(due, self.flush)

    def nack_later(self, ack_id: str, seconds: int) -> None:
        """Nack so that Pub/Sub redelivers after ``seconds`` (the ack deadline is set to it)."""
        if seconds <= 0:
            self.nack(ack_id)
            return
        self._delays.setdefault(seconds, []).append(ack_id)
        self._flush_within(_FLUSH_DELAY)

    def nack_many(self, ack_ids: Sequence[str]) -> None:
        if ack_ids:
            self._nacks.extend(ack_ids)
            self.flush()

    def flush(self) -> None:
        """Send what is collected now (in background tasks)."""
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        if self._acks:
            acks, self._acks = self._acks, []
            for chunk in _chunks(acks):
                self._spawn(self._send_and_log(chunk, None, "acknowledge"))
        if self._confirmed:
            confirmed, self._confirmed = self._confirmed, {}
            ids = list(confirmed)
            for chunk in _chunks(ids):
                self._spawn(self._send_confirmed({i: confirmed[i] for i in chunk}, None))
        if self._nacks:
            nacks, self._nacks = self._nacks, []
            for chunk in _chunks(nacks):
                self._spawn(self._nack(chunk, 0))
        if self._delays:
            delays, self._delays = self._delays, {}
            for seconds, ids in delays.items():
                for chunk in _chunks(ids):
                    self._spawn(self._nack(chunk, seconds))

    def extend(self, ack_ids: Sequence[str], seconds: int) -> None:
        """Extend the lease of messages still held (sent at once)."""
        for chunk in _chunks(ack_ids):
            self._spawn(self._send_and_log(chunk, seconds, "lease extension"))

    async def drain(self) -> None:
        """Send everything collected and wait until every RPC (and retry) has ended."""
        self.flush()
        while self._sending:
            await asyncio.gather(*list(self._sending), return_exceptions=True)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = self._loop.create_task(coro)
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    # -- sending -------------------------------------------------------------------------------

    async def _call(self, ack_ids: list[str], seconds: int | None, once: float | None) -> None:
        # once None: the client's own retry of an unavailable service, for up to a minute;
        # else one attempt of at most ``once`` seconds (confirmed sends retry per ack id)
        client = self._client()
        retry: dict[str, Any] = {} if once is None else {"retry": None}
        if seconds is None:
            request = _AckPb(subscription=self._subscription, ack_ids=ack_ids)
            await client.acknowledge(
                request=AcknowledgeRequest.wrap(request),
                timeout=once or _RPC_TIMEOUT,
                **retry,
            )
        else:
            request = _ModifyPb(
                subscription=self._subscription, ack_ids=ack_ids, ack_deadline_seconds=seconds
            )
            await client.modify_ack_deadline(
                request=ModifyAckDeadlineRequest.wrap(request),
                timeout=once or _RPC_TIMEOUT,
                **retry,
            )

    async def _send(
        self, ack_ids: list[str], seconds: int | None, once: float | None = None
    ) -> dict[str, Refusal]:
        """Send one call (acknowledge when ``seconds`` is None); return the ids that failed."""
        try:
            await self._call(ack_ids, seconds, once)
        except Exception as exc:
            failure = read_failure(exc)
            if failure.too_large and len(ack_ids) > 1:
                half = len(ack_ids) // 2
                first = await self._send(ack_ids[:half], seconds, once)
                return first | await self._send(ack_ids[half:], seconds, once)
            refused = {}
            for ack_id in ack_ids:
                refusal = failure.refusal(ack_id)
                if refusal is not None:
                    refused[ack_id] = refusal
            return refused
        return {}

    async def _send_and_log(self, ack_ids: list[str], seconds: int | None, what: str) -> None:
        refused = await self._send(ack_ids, seconds)
        if refused:
            self._log_refused(what, len(ack_ids), refused)

    async def _nack(self, ack_ids: list[str], seconds: int) -> None:
        what = "nack" if seconds == 0 else "redelivery delay"
        if not self.exactly_once:
            await self._send_and_log(ack_ids, seconds, what)
            return
        waiters: _Waiters = {ack_id: self._loop.create_future() for ack_id in ack_ids}
        await self._send_confirmed(waiters, seconds)
        refused = {i: w.result() for i, w in waiters.items() if w.result()[0] != AckResult.SUCCESS}
        if refused:
            reasons = Counter(reason for _, reason in refused.values())
            logger.info(
                "%s of %d messages on %s refused (%s); Pub/Sub redelivers them anyway",
                what,
                len(refused),
                self._subscription,
                ", ".join(f"{n} x {reason}" for reason, n in reasons.items()),
                extra={"subscription": self._subscription},
            )

    async def _send_confirmed(self, waiters: _Waiters, seconds: int | None) -> None:
        """Send until each id has a final answer; retry transient failures with backoff."""
        give_up_at = self._loop.time() + self._retry_seconds
        pause = _FIRST_RETRY
        pending = waiters
        try:
            while pending:
                once = max(give_up_at - self._loop.time(), _MIN_CALL_TIMEOUT)
                refused = await self._send(list(pending), seconds, once)
                retry: _Waiters = {}
                for ack_id, waiter in pending.items():
                    refusal = refused.get(ack_id)
                    if refusal is None:
                        _answer(waiter, _SUCCESS)
                    elif refusal.transient and self._loop.time() + pause < give_up_at:
                        retry[ack_id] = waiter
                    else:
                        _answer(waiter, (refusal.result, refusal.reason))
                pending = retry
                if pending:
                    await asyncio.sleep(pause)
                    pause = min(pause * 2, _MAX_RETRY)
        finally:  # cancelled (the loop is closing): nobody is told SUCCESS by mistake
            for waiter in pending.values():
                _answer(waiter, (AckResult.OTHER, "not sent: the subscriber was stopped"))

    def _log_refused(self, what: str, total: int, refused: dict[str, Refusal]) -> None:
        reasons = Counter(refusal.reason for refusal in refused.values())
        logger.warning(
            "%s of %d of %d messages on %s failed: %s",
            what,
            len(refused),
            total,
            self._subscription,
            ", ".join(f"{n} x {reason}" for reason, n in reasons.items()),
            extra={"subscription": self._subscription},
        )


def _answer(waiter: asyncio.Future[AckAnswer], answer: AckAnswer) -> None:
    if not waiter.done():
        waiter.set_result(answer)
