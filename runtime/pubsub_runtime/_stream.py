"""One StreamingPull stream of a subscriber, reopened with backoff until the subscriber stops.

The stream is read only as fast as the subscriber takes responses (``on_response`` waits while
the subscriber is at its flow-control bound), so gRPC's flow control, not a buffer here, holds
back what the server sends. A stream that breaks is reopened after a jittered exponential
backoff (reset by a response, by a stream that lasted, or by re-creating a vanished
subscription); one that finds its subscription gone calls ``recreate`` first when it has one
(``autocreate``), and otherwise fails for good, as it
does on errors that no retry can fix (permissions, invalid arguments).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any, Final

from google.api_core import exceptions as api_exceptions
from google.pubsub_v1 import StreamingPullRequest, StreamingPullResponse

from pubsub_runtime._config import SubscriberOptions

if TYPE_CHECKING:
    from google.pubsub_v1 import SubscriberAsyncClient

__all__ = ["FATAL_ERRORS", "PullStream", "pull_requests"]

logger = logging.getLogger("pubsub_runtime")

FATAL_ERRORS: Final = (
    api_exceptions.NotFound,
    api_exceptions.PermissionDenied,
    api_exceptions.InvalidArgument,
    api_exceptions.Unauthenticated,
    api_exceptions.FailedPrecondition,
)
_HEARTBEAT_SECONDS: Final = 30.0
_FIRST_BACKOFF: Final = 0.1
_MAX_BACKOFF: Final = 10.0
_STABLE_SECONDS: Final = 30.0  # a stream that lasted this long resets the backoff
# The ack deadline of messages the stream holds unread while handlers are at their limit (they
# cannot be leased before they are read); as the official client, 60 s at least.
_MIN_STREAM_ACK_DEADLINE: Final = 60
_ResponsePb: Any = StreamingPullResponse.pb


async def pull_requests(
    subscription: str, options: SubscriberOptions, client_id: str, end: asyncio.Event
) -> AsyncIterator[StreamingPullRequest]:
    """The request side of one stream: the opening request, then heartbeats until ``end``."""
    yield StreamingPullRequest(
        subscription=subscription,
        stream_ack_deadline_seconds=max(options.ack_deadline_seconds, _MIN_STREAM_ACK_DEADLINE),
        max_outstanding_messages=-(-options.max_messages // options.streams),
        max_outstanding_bytes=-(-options.max_messages_bytes // options.streams),
        client_id=client_id,
    )
    while not end.is_set():
        # An idle stream gets closed by the service unless the client speaks now and then.
        try:
            await asyncio.wait_for(end.wait(), _HEARTBEAT_SECONDS)
        except TimeoutError:
            yield StreamingPullRequest()
    # Returning half-closes the stream; the server then ends it.


class PullStream:
    """Runs stream ``index`` of a subscriber; ``state``: starting, running, reconnecting, failed.

    ``requests`` opens the request side of a new stream; ``on_response`` takes the received
    messages of a response (and may wait for room); ``hand_back`` nacks those of a response that
    arrives while stopping; ``stopping`` is set when the subscriber stops.
    """

    def __init__(
        self,
        *,
        index: int,
        alias: str,
        subscription: str,
        requests: Callable[[], AsyncIterator[StreamingPullRequest]],
        on_response: Callable[[Any], Awaitable[None]],
        hand_back: Callable[[Any], None],
        stopping: asyncio.Event,
        recreate: Callable[[], Awaitable[None]] | None,
    ) -> None:
        self.index = index
        self.state = "starting"
        self._alias = alias
        self._subscription = subscription
        self._requests = requests
        self._on_response = on_response
        self._hand_back = hand_back
        self._stopping = stopping
        self._recreate = recreate
        self._log_extra = {"alias": alias, "subscription": subscription}

    async def run(self, client: SubscriberAsyncClient, connected: asyncio.Future[None]) -> None:
        """Pull until the subscriber stops; ``connected`` resolves at the first (failed) try."""
        backoff = _FIRST_BACKOFF
        loop = asyncio.get_running_loop()
        try:
            while not self._stopping.is_set():
                error: BaseException | None = None
                connected_at: float | None = None
                missing = False
                call: Any = None
                try:
                    call = await client.streaming_pull(
                        requests=self._requests(), retry=None, timeout=None
                    )
                    await call.wait_for_connection()
                    connected_at = loop.time()
                    self.state = "running"
                    if not connected.done():
                        connected.set_result(None)
                    async for response in call:
                        backoff = _FIRST_BACKOFF
                        if self._stopping.is_set():
                            self._hand_back(_ResponsePb(response).received_messages)
                        else:
                            await self._on_response(response)
                except api_exceptions.NotFound as exc:
                    if self._recreate is None:
                        self._fail(exc)
                        return
                    error, missing = exc, True
                except FATAL_ERRORS as exc:
                    self._fail(exc)
                    return
                except api_exceptions.GoogleAPICallError as exc:
                    error = exc
                except Exception as exc:  # a bug must not end the subscriber silently
                    error = exc
                    logger.exception(
                        "subscriber %s: unexpected error in stream %d", self._alias, self.index
                    )
                finally:
                    if call is not None:
                        call.cancel()
                if self._stopping.is_set():
                    return
                self.state = "reconnecting"
                if not connected.done():
                    connected.set_result(None)
                if connected_at is not None and loop.time() - connected_at > _STABLE_SECONDS:
                    backoff = _FIRST_BACKOFF
                if missing and self._recreate is not None:
                    try:
                        await self._recreate()
                    except FATAL_ERRORS as exc:
                        self._fail(exc)
                        return
                    except Exception as exc:  # the server is still away: back off, try again
                        error = exc
                    else:
                        # The server is back and so is the subscription: pull again at once,
                        # not after the backoff the outage built up.
                        backoff = _FIRST_BACKOFF
                self._log_reconnect(error, backoff)
                with contextlib.suppress(TimeoutError):  # stopping ends the wait early
                    delay = backoff * (0.5 + random.random())
                    await asyncio.wait_for(self._stopping.wait(), delay)
                backoff = min(backoff * 2, _MAX_BACKOFF)
        finally:
            if not connected.done():
                connected.set_result(None)

    def _fail(self, exc: BaseException) -> None:
        self.state = "failed"
        logger.error(
            "subscriber %s: streaming pull on %s failed for good: %s",
            self._alias,
            self._subscription,
            exc,
            extra=self._log_extra,
        )

    def _log_reconnect(self, error: BaseException | None, backoff: float) -> None:
        # Pub/Sub ends healthy streams now and then (UNAVAILABLE): only a repeat is news.
        routine = error is None or isinstance(error, api_exceptions.ServiceUnavailable)
        logger.log(
            logging.INFO if routine and backoff == _FIRST_BACKOFF else logging.WARNING,
            "subscriber %s: stream %d on %s closed (%s); reconnecting in about %.1f s",
            self._alias,
            self.index,
            self._subscription,
            error if error is not None else "ended by the server",
            backoff,
            extra=self._log_extra,
        )
