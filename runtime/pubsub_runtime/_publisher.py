"""Batched publishing: concurrent ``publish()`` calls share one Publish RPC per topic.

Batches are "group commits": a batch is sent at the next turn of the loop when its topic has
room for another RPC, else it keeps filling until an RPC returns or it is full. So a lone
publish goes out at once, and a burst leaves in few, large requests without a latency timer.

Messages with an ordering key are batched per (topic, key) with one RPC in flight per key, so
the server receives them in publish order. When a batch of a key fails, the batches of that
key queued behind it fail too, rather than being published out of order.

A Publish RPC that fails with a transient error (UNAVAILABLE, DEADLINE_EXCEEDED, ABORTED,
INTERNAL, RESOURCE_EXHAUSTED, UNKNOWN, CANCELLED: the server restarting, a network blip) is
retried with jittered exponential backoff for up to a minute; the publish fails only after that
(or at once on other errors). A retry after a lost response can publish a batch twice: Pub/Sub
is at-least-once anyway.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final

from google.api_core import exceptions as api_exceptions
from google.api_core.retry import AsyncRetry, if_exception_type
from google.pubsub_v1 import PublishRequest, PublishResponse

from pubsub_runtime._errors import PubSubRuntimeError
from pubsub_runtime._transport import close_client

if TYPE_CHECKING:
    from google.pubsub_v1 import PublisherAsyncClient

__all__ = ["BatchPublisher", "PublishError"]

logger = logging.getLogger("pubsub_runtime")

_MAX_REQUEST_BYTES = 9 * 1024 * 1024  # Pub/Sub refuses requests over 10 MB
_ATTEMPT_TIMEOUT: Final = 60.0  # one Publish RPC
_RETRY_TIMEOUT: Final = 60.0  # all attempts of one batch
TRANSIENT_ERRORS: Final = (
    api_exceptions.ServiceUnavailable,
    api_exceptions.DeadlineExceeded,
    api_exceptions.Aborted,
    api_exceptions.InternalServerError,
    api_exceptions.ResourceExhausted,
    api_exceptions.Unknown,
    api_exceptions.Cancelled,
)
_PublishRequestPb: Any = PublishRequest.pb()


def _log_retry(exc: Exception) -> None:
    logger.warning("publish failed (%s); retrying with backoff", exc)


_RETRY: Final = AsyncRetry(
    predicate=if_exception_type(*TRANSIENT_ERRORS),
    initial=0.1,
    maximum=5.0,
    multiplier=2.0,
    timeout=_RETRY_TIMEOUT,
    on_error=_log_retry,
)


class PublishError(PubSubRuntimeError):
    """A publish that did not reach Pub/Sub (or was abandoned to keep ordering)."""


class _Batch:
    __slots__ = ("future", "key", "nbytes", "request")

    def __init__(self, key: tuple[str, str], future: asyncio.Future[list[str]]) -> None:
        self.key = key
        self.request: Any = _PublishRequestPb(topic=key[0])
        self.nbytes = 0
        self.future = future


class _KeyState:
    """The open batch, queued batches and RPCs in flight of one (topic, ordering key)."""

    __slots__ = ("flush_scheduled", "in_flight", "open", "queued")

    def __init__(self) -> None:
        self.open: _Batch | None = None
        self.queued: deque[_Batch] = deque()
        self.in_flight = 0
        self.flush_scheduled = False


class BatchPublisher:
    """Publishes through one ``PublisherAsyncClient`` of the running loop."""

    def __init__(
        self,
        client_factory: Callable[[], PublisherAsyncClient],
        *,
        max_messages: int = 100,
        max_bytes: int = 1024 * 1024,
        max_concurrent_rpcs: int = 8,
    ) -> None:
        self._client_factory = client_factory
        self._client: PublisherAsyncClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._max_messages = max_messages
        self._max_bytes = min(max_bytes, _MAX_REQUEST_BYTES)
        self._max_concurrent = max_concurrent_rpcs
        self._keys: dict[tuple[str, str], _KeyState] = {}
        self._sending: set[asyncio.Task[None]] = set()

    def _ensure_client(self, loop: asyncio.AbstractEventLoop) -> PublisherAsyncClient:
        if self._client is None or self._loop is not loop:
            # A client is bound to the loop that created it (its gRPC channel is).
            self._client = self._client_factory()
            self._loop = loop
            self._keys.clear()
        return self._client

    def client(self) -> PublisherAsyncClient:
        """The client of the running loop (created on first use)."""
        return self._ensure_client(asyncio.get_running_loop())

    async def publish(
        self,
        topic: str,
        data: bytes,
        attributes: Mapping[str, str] | None,
        ordering_key: str | None,
    ) -> str:
        """Queue one message for ``topic`` (a full path) and return its id once published."""
        future, index = self.enqueue(topic, data, attributes, ordering_key)
        message_ids = await asyncio.shield(future)
        return message_ids[index]

    async def publish_many(
        self,
        topic: str,
        payloads: Iterable[bytes],
        attributes: Mapping[str, str] | None,
        ordering_key: str | None,
    ) -> list[str]:
        """Queue messages for ``topic`` and return their ids, in order, once all are published.

        One future per batch rather than a task and a future per message: a burst costs a
        fraction of as many ``publish()`` calls. Raises the first error of any batch.
        """
        enqueue = self.enqueue
        slots = [enqueue(topic, data, attributes, ordering_key) for data in payloads]
        batches = list({id(future): future for future, _ in slots}.values())
        # Shielded: the batch futures are shared with other publishers of the topic.
        await asyncio.shield(asyncio.gather(*batches))
        return [future.result()[index] for future, index in slots]

    def enqueue(
        self,
        topic: str,
        data: bytes,
        attributes: Mapping[str, str] | None,
        ordering_key: str | None,
    ) -> tuple[asyncio.Future[list[str]], int]:
        """Add one message to the open batch of ``topic`` (synchronously, in the running loop).

        Returns the batch's future (the message ids of the batch) and the message's index in it.
        """
        loop = asyncio.get_running_loop()
        self._ensure_client(loop)
        key = (topic, ordering_key or "")
        state = self._keys.get(key)
        if state is None:
            state = self._keys[key] = _KeyState()
        batch = state.open
        size = len(data) + 64
        if attributes:
            size += sum(len(k) + len(v) for k, v in attributes.items())
        if batch is not None and batch.nbytes + size > self._max_bytes:
            self._close(state, batch)
            batch = None
        if batch is None:
            batch = state.open = _Batch(key, loop.create_future())
        index = len(batch.request.messages)
        batch.request.messages.add(
            data=data, attributes=attributes, ordering_key=ordering_key or ""
        )
        batch.nbytes += size
        if index + 1 >= self._max_messages:
            self._close(state, batch)
        elif not state.flush_scheduled:
            state.flush_scheduled = True
            loop.call_soon(self._flush_soon, key)
        return batch.future, index

    def _close(self, state: _KeyState, batch: _Batch) -> None:
        """Take a full batch out of ``open``: send it now when allowed, else queue it."""
        state.open = None
        if batch.key[1] and state.in_flight:
            state.queued.append(batch)  # one RPC per ordering key at a time
        else:
            self._send(state, batch)

    def _flush_soon(self, key: tuple[str, str]) -> None:
        state = self._keys.get(key)
        if state is None:
            return
        state.flush_scheduled = False
        batch = state.open
        if batch is None or not len(batch.request.messages):
            return
        limit = 1 if key[1] else self._max_concurrent
        if state.in_flight < limit and not state.queued:
            state.open = None
            self._send(state, batch)
        # else: it keeps filling and leaves when an RPC of this key returns

    def _send(self, state: _KeyState, batch: _Batch) -> None:
        state.in_flight += 1
        task = asyncio.get_running_loop().create_task(self._rpc(state, batch))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _rpc(self, state: _KeyState, batch: _Batch) -> None:
        client = self._client
        assert client is not None
        try:
            response = await client.publish(
                request=PublishRequest.wrap(batch.request), retry=_RETRY, timeout=_ATTEMPT_TIMEOUT
            )
            ids = list(PublishResponse.pb(response).message_ids)
        except BaseException as exc:
            if not batch.future.done():
                if isinstance(exc, asyncio.CancelledError):
                    batch.future.cancel()
                else:
                    batch.future.set_exception(exc)
            if batch.key[1]:
                self._fail_key(state, batch.key, exc)
            if not isinstance(exc, Exception):
                raise
        else:
            if not batch.future.done():
                batch.future.set_result(ids)
        finally:
            state.in_flight -= 1
            self._after_rpc(state, batch.key)

    def _after_rpc(self, state: _KeyState, key: tuple[str, str]) -> None:
        if state.queued:
            self._send(state, state.queued.popleft())
        elif state.open is not None and len(state.open.request.messages):
            batch, state.open = state.open, None
            self._send(state, batch)
        elif not state.in_flight and state.open is None and self._keys.get(key) is state:
            del self._keys[key]  # keep the table small when many ordering keys come and go

    def _fail_key(self, state: _KeyState, key: tuple[str, str], exc: BaseException) -> None:
        pending = list(state.queued)
        state.queued.clear()
        if state.open is not None:
            pending.append(state.open)
            state.open = None
        for batch in pending:
            if not batch.future.done():
                batch.future.set_exception(
                    PublishError(
                        f"not published to {key[0]}: an earlier message with ordering key "
                        f"{key[1]!r} failed ({exc!r}); publish again to start a new sequence"
                    )
                )

    async def flush(self) -> None:
        """Send what is buffered and wait for every RPC in flight."""
        for key, state in list(self._keys.items()):
            if state.open is not None and not state.in_flight and not state.queued:
                self._flush_soon(key)
        while self._sending:
            await asyncio.gather(*list(self._sending), return_exceptions=True)

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.flush()
        client, self._client = self._client, None
        if client is not None and self._loop is asyncio.get_running_loop():
            await close_client(client)
