"""One subscriber: StreamingPull streams feeding concurrent handler tasks.

Each received message becomes one asyncio task running the handler (named by
``handler_task_name`` so the loop watchdog can name a handler that blocks). On Python 3.12+ the
task starts eagerly: the handler runs at once, in its own context, until it first suspends, and
a handler that never suspends costs no trip through the event loop. Returning acks the
message, raising nacks it (``run_handler`` has the details: ``Retry``, ``Drop``, timeouts).
A payload that does not decode never reaches the handler: it is nacked, or copied to the
dead-letter topic and acked (``on_decode_error``). ``max_messages``/``max_messages_bytes`` bound
the messages held at once: when full, the stream is not read until a handler finishes (the
emulator ignores the server-side bound, so the client-side one is what holds). Messages of one
ordering key run one at a time, in order, when the subscription is ordered.

A broken stream is reopened with backoff; a subscription that vanished (an emulator restart, a
deleted subscription) is created again first when ``autocreate`` is on, else the stream fails.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import uuid
from collections import deque
from typing import TYPE_CHECKING, Any, Final

from google.pubsub_v1 import StreamingPullResponse

from pubsub_runtime import _observe
from pubsub_runtime._acks import AckBatcher
from pubsub_runtime._config import SubscriberOptions, TopicCodec, topic_path
from pubsub_runtime._dispatch import (
    Handler,
    HandlerCall,
    Outcome,
    handler_task_name,
    run_handler,
)
from pubsub_runtime._message import Message
from pubsub_runtime._poison import (
    PublishFunction,
    dead_letter_attributes,
    decode_reason,
    log_undecodable,
)
from pubsub_runtime._stream import PullStream, pull_requests
from pubsub_runtime._transport import close_client

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Coroutine

    from google.pubsub_v1 import SubscriberAsyncClient

__all__ = ["Subscriber", "SubscriberState"]

logger = logging.getLogger("pubsub_runtime")

SubscriberState = str  # "idle" | "starting" | "running" | "reconnecting" | "stopping" | ...
_CANCEL_GRACE: Final = 5.0  # how long cancelled handlers get to unwind after the stop timeout
_DRAIN_TIMEOUT: Final = 10.0  # bounds the last acks when Pub/Sub is unreachable
_HALF_CLOSE_GRACE: Final = 3.0  # how long a half-closed stream gets to be ended by the server
_SCHEMA_ENCODING_ATTRIBUTE: Final = "googclient_schemaencoding"  # set by Pub/Sub on schema topics
_StreamingPullResponsePb: Any = StreamingPullResponse.pb


def _create_task(
    loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, None], name: str
) -> asyncio.Task[None]:
    return loop.create_task(coro, name=name)


if sys.version_info >= (3, 12):

    def _create_eager_task(
        loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, None], name: str
    ) -> asyncio.Task[None]:
        # Runs the coroutine until its first suspension before returning (in a copy of the
        # context, as the current task): the task may be done already.
        return asyncio.Task(coro, loop=loop, name=name, eager_start=True)

else:
    _create_eager_task = _create_task


class Subscriber:
    """A handler bound to a subscription. Created by ``@broker.subscriber``; run by the broker.

    ``state`` is one of "idle", "starting", "running", "reconnecting", "stopping", "stopped",
    "failed"; ``in_flight`` counts the messages received and not yet acked or nacked.
    """

    def __init__(
        self,
        *,
        alias: str,
        topic_name: str,
        subscription_name: str,
        handler: Handler,
        call: HandlerCall,
        options: SubscriberOptions,
        topic_path: str,
        subscription_path: str,
        spec: TopicCodec | None,
    ) -> None:
        self.alias = alias
        self.topic_name = topic_name
        self.subscription_name = subscription_name
        self.handler = handler
        self.options = options
        self.topic_path = topic_path
        self.subscription_path = subscription_path
        self.spec = spec
        self._call = call
        self._task_name_prefix = handler_task_name(alias, call.qualname, "")  # + message id
        self._state: SubscriberState = "idle"
        self._pull_streams: list[PullStream] = []
        self._client: SubscriberAsyncClient | None = None
        self._acks: AckBatcher | None = None
        self._streams: list[asyncio.Task[None]] = []
        self._lease_task: asyncio.Task[None] | None = None
        self._running: dict[str, asyncio.Task[None]] = {}
        self._leased: dict[str, None] = {}  # ack ids received and not yet finished
        self._key_queues: dict[str, deque[tuple[str, Message[Any]]]] = {}
        self._in_flight = 0
        self._in_flight_bytes = 0
        self._room = asyncio.Event()
        self._end_requests = asyncio.Event()
        self._closing = False
        self._ordered = options.enable_message_ordering
        self._client_id = uuid.uuid4().hex
        self._publish: PublishFunction | None = None
        self._recreate: Callable[[], Awaitable[None]] | None = None
        self._recreating: asyncio.Lock | None = None

    # -- what the health endpoints read ------------------------------------------------------

    @property
    def state(self) -> SubscriberState:
        if self._state != "running" or not self._pull_streams:
            return self._state
        streams = [stream.state for stream in self._pull_streams]
        if all(s == "failed" for s in streams):
            return "failed"
        if any(s != "running" for s in streams):
            return "reconnecting"
        return "running"

    @property
    def in_flight(self) -> int:
        return self._in_flight

    def __repr__(self) -> str:
        return (
            f"Subscriber(alias={self.alias!r}, subscription={self.subscription_path!r}, "
            f"state={self.state!r}, in_flight={self._in_flight})"
        )

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(
        self,
        client_factory: Callable[[], SubscriberAsyncClient],
        *,
        publish: PublishFunction | None = None,
        recreate: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """Open the streams; returns once each stream connected once (or failed).

        ``publish`` sends dead-letter copies of poison messages (``on_decode_error``);
        ``recreate`` creates the topic and subscription again when the stream finds the
        subscription missing (the broker passes it when ``autocreate`` is on).
        """
        if self._state not in ("idle", "stopped", "failed"):
            return
        loop = asyncio.get_running_loop()
        self._state = "starting"
        self._publish = publish
        self._recreate = recreate
        self._recreating = asyncio.Lock()
        self._closing = False
        self._room = asyncio.Event()
        self._room.set()
        self._end_requests = asyncio.Event()
        self._client = client_factory()
        self._acks = AckBatcher(self.subscription_path, self._require_client, loop)
        self._pull_streams = [self._new_stream(index) for index in range(self.options.streams)]
        connected = [loop.create_future() for _ in self._pull_streams]
        self._streams = [
            loop.create_task(
                stream.run(self._client, connected[stream.index]),
                name=f"pubsub-stream|{self.alias}|{stream.index}",
            )
            for stream in self._pull_streams
        ]
        self._lease_task = loop.create_task(self._lease_loop(), name=f"pubsub-leases|{self.alias}")
        await asyncio.wait(connected)
        self._state = "running"

    async def stop(self, timeout: float) -> None:  # noqa: ASYNC109
        """Stop pulling, give in-flight handlers ``timeout`` seconds, nack the rest."""
        if self._state in ("idle", "stopped", "stopping"):
            return
        self._state = "stopping"
        self._closing = True
        self._room.set()  # wakes readers waiting for room: they nack what they hold
        # Half-close the streams and let the server end them: a cancelled stream lingers on
        # the emulator and keeps leasing messages to nobody.
        self._end_requests.set()
        if self._streams:
            _, lingering = await asyncio.wait(self._streams, timeout=_HALF_CLOSE_GRACE)
            for task in lingering:
                task.cancel()
            await asyncio.gather(*self._streams, return_exceptions=True)
        self._streams = []
        self._nack_queued_behind_keys()
        running = list(self._running.values())
        if running:
            _, pending = await asyncio.wait(running, timeout=timeout)
            if pending:
                logger.warning(
                    "subscriber %s: %d handlers still running after %.1f s; cancelling them "
                    "(their messages are nacked)",
                    self.alias,
                    len(pending),
                    timeout,
                    extra={"alias": self.alias},
                )
                for task in pending:
                    task.cancel()
                await asyncio.wait(pending, timeout=_CANCEL_GRACE)
        if self._lease_task is not None:
            self._lease_task.cancel()
            await asyncio.gather(self._lease_task, return_exceptions=True)
            self._lease_task = None
        if self._acks is not None:
            try:
                await asyncio.wait_for(self._acks.drain(), _DRAIN_TIMEOUT)
            except TimeoutError:
                logger.warning(
                    "subscriber %s: acks not confirmed within %.0f s of stopping; "
                    "Pub/Sub will redeliver those messages",
                    self.alias,
                    _DRAIN_TIMEOUT,
                    extra={"alias": self.alias},
                )
        client, self._client = self._client, None
        if client is not None:
            await close_client(client)
        self._state = "stopped"

    def _require_client(self) -> SubscriberAsyncClient:
        if self._client is None:
            raise RuntimeError(f"subscriber {self.alias!r} is not started")
        return self._client

    def _new_stream(self, index: int) -> PullStream:
        options, subscription = self.options, self.subscription_path
        return PullStream(
            index=index,
            alias=self.alias,
            subscription=subscription,
            requests=lambda: pull_requests(
                subscription, options, self._client_id, self._end_requests
            ),
            on_response=self._on_response,
            hand_back=self._hand_back,
            stopping=self._end_requests,
            recreate=self._recreate_subscription if self._recreate is not None else None,
        )

    async def _recreate_subscription(self) -> None:
        """Create the missing subscription again (once, however many streams found it gone)."""
        assert self._recreate is not None and self._recreating is not None
        if self._recreating.locked():
            async with self._recreating:
                return  # another stream is doing it
        async with self._recreating:
            logger.warning(
                "subscriber %s: subscription %s not found; creating it again (autocreate)",
                self.alias,
                self.subscription_path,
                extra={"alias": self.alias, "subscription": self.subscription_path},
            )
            await self._recreate()

    # -- receiving ---------------------------------------------------------------------------

    async def _on_response(self, response: StreamingPullResponse) -> None:
        pb = _StreamingPullResponsePb(response)
        if pb.HasField("subscription_properties"):
            self._ordered = (
                self.options.enable_message_ordering
                or pb.subscription_properties.message_ordering_enabled
            )
        received = pb.received_messages
        # each read of a protobuf string field makes a new str (hashed anew): read them once
        ack_ids = [item.ack_id for item in received]
        self._leased.update(dict.fromkeys(ack_ids))
        max_messages = self.options.max_messages
        max_bytes = self.options.max_messages_bytes
        room = self._room
        index = 0
        try:
            for index, item in enumerate(received):
                while (
                    self._in_flight
                    and (self._in_flight >= max_messages or self._in_flight_bytes >= max_bytes)
                    and not self._closing
                ):
                    room.clear()
                    await room.wait()
                if self._closing:
                    self._hand_back(received[index:])
                    return
                self._dispatch(item, ack_ids[index])
        except asyncio.CancelledError:
            self._hand_back(received[index:])
            raise

    def _hand_back(self, received: Any) -> None:
        """Nack messages received while stopping: they were never handled."""
        ack_ids = [item.ack_id for item in received]
        for ack_id in ack_ids:
            self._leased.pop(ack_id, None)
        if self._acks is not None:
            self._acks.nack_many(ack_ids)

    # -- dispatch ----------------------------------------------------------------------------

    def _dispatch(self, item: Any, ack_id: str) -> None:
        message = Message._from_pb(item)
        hooks = _observe.hooks
        if hooks is not None:
            hooks.received(self, message)
        spec = self.spec
        if spec is not None:
            try:
                # the protobuf map the message holds: message.attributes would copy it to a dict
                encoding = message._attributes.get(_SCHEMA_ENCODING_ATTRIBUTE)
                if encoding:
                    message.payload = spec.decode(message.data, encoding=encoding)
                else:
                    message.payload = spec.decode(message.data)
            except Exception as exc:
                self._on_decode_error(ack_id, message, decode_reason(exc))
                return
        self._in_flight += 1
        self._in_flight_bytes += len(message.data)
        key = message.ordering_key
        if key is not None and self._ordered:
            queue = self._key_queues.get(key)
            if queue is not None:
                queue.append((ack_id, message))  # runs when the previous one of its key ends
                return
            self._key_queues[key] = deque()
        self._start_handler(ack_id, message, _create_eager_task)

    def _start_handler(
        self,
        ack_id: str,
        message: Message[Any],
        create_task: Callable[
            [asyncio.AbstractEventLoop, Coroutine[Any, Any, None], str], asyncio.Task[None]
        ] = _create_task,
    ) -> None:
        # Eager only from _dispatch: a handler started from _finish (the next message of an
        # ordering key) would otherwise start the one after it inside itself, one stack frame
        # deeper per queued message.
        name = self._task_name_prefix + message.id
        task = create_task(asyncio.get_running_loop(), self._handle(ack_id, message), name)
        if not task.done():  # an eager task that finished has released its message already
            self._running[ack_id] = task

    async def _handle(self, ack_id: str, message: Message[Any]) -> None:
        acks = self._acks
        assert acks is not None
        hooks = _observe.hooks
        try:
            if hooks is None:
                outcome = await run_handler(
                    self.handler,
                    self._call,
                    message,
                    alias=self.alias,
                    timeout=self.options.timeout,
                )
            else:
                outcome = await hooks.handle(self, message, lambda: self._run(message))
        except BaseException:  # cancelled by stop(), or the process is going down
            acks.nack(ack_id)
            if hooks is not None:
                hooks.settled(self, message, "nack")
            raise
        else:
            if outcome.ack:
                acks.ack(ack_id)
            elif outcome.delay:
                acks.nack_later(ack_id, outcome.delay)
            else:
                acks.nack(ack_id)
            if hooks is not None:
                hooks.settled(self, message, "ack" if outcome.ack else "nack")
        finally:
            self._finish(ack_id, message)

    def _run(self, message: Message[Any]) -> Awaitable[Outcome]:
        return run_handler(
            self.handler, self._call, message, alias=self.alias, timeout=self.options.timeout
        )

    # -- poison messages ---------------------------------------------------------------------

    def _on_decode_error(self, ack_id: str, message: Message[Any], reason: str) -> None:
        hooks = _observe.hooks
        if hooks is not None:
            hooks.decode_failed(self, message, reason)
        if self.options.on_decode_error == "dead_letter" and self._publish is not None:
            # Counted in flight while the copy is published: bounded, and awaited by stop().
            self._in_flight += 1
            self._in_flight_bytes += len(message.data)
            self._running[ack_id] = asyncio.get_running_loop().create_task(
                self._dead_letter(ack_id, message, reason),
                name=f"pubsub-dead-letter|{self.alias}|{message.id}",
            )
            return
        self._leased.pop(ack_id, None)
        self._log_poison(message, reason, "nacked")
        assert self._acks is not None
        self._acks.nack(ack_id)
        if hooks is not None:
            hooks.settled(self, message, "nack")

    async def _dead_letter(self, ack_id: str, message: Message[Any], reason: str) -> None:
        acks, publish = self._acks, self._publish
        assert acks is not None and publish is not None and self.options.dead_letter_topic
        project = self.subscription_path.partition("/subscriptions/")[0].removeprefix("projects/")
        target = topic_path(project, self.options.dead_letter_topic)
        attributes = dead_letter_attributes(
            message, reason, subscription=self.subscription_path, topic=self.topic_path
        )
        settlement: _observe.Settlement = "nack"
        try:
            await publish(target, message.data, attributes, None)
        except asyncio.CancelledError:
            acks.nack(ack_id)
            raise
        except Exception as exc:
            acks.nack(ack_id)
            self._log_poison(message, reason, f"publishing it to {target} failed ({exc!r}), nacked")
        else:
            acks.ack(ack_id)
            settlement = "dead_letter"
            self._log_poison(message, reason, f"published to dead-letter topic {target} and acked")
        finally:
            self._release(ack_id, message)
            hooks = _observe.hooks
            if hooks is not None:
                hooks.settled(self, message, settlement)

    def _log_poison(self, message: Message[Any], reason: str, outcome: str) -> None:
        log_undecodable("subscriber", self.alias, self.subscription_path, message, reason, outcome)

    # -- bookkeeping -------------------------------------------------------------------------

    def _release(self, ack_id: str, message: Message[Any]) -> None:
        self._running.pop(ack_id, None)  # not there yet when an eager task ends at once
        self._leased.pop(ack_id, None)
        self._in_flight -= 1
        self._in_flight_bytes -= len(message.data)
        if not self._room.is_set():
            self._room.set()

    def _finish(self, ack_id: str, message: Message[Any]) -> None:
        self._release(ack_id, message)
        key = message.ordering_key
        if key is not None and key in self._key_queues:
            queue = self._key_queues[key]
            if queue and not self._closing:
                self._start_handler(*queue.popleft())
            elif not queue:
                del self._key_queues[key]

    def _nack_queued_behind_keys(self) -> None:
        ack_ids = []
        hooks = _observe.hooks
        for queue in self._key_queues.values():
            for ack_id, message in queue:
                ack_ids.append(ack_id)
                if hooks is not None:
                    hooks.settled(self, message, "nack")
                self._leased.pop(ack_id, None)
                self._in_flight -= 1
                self._in_flight_bytes -= len(message.data)
            queue.clear()
        if ack_ids and self._acks is not None:
            self._acks.nack_many(ack_ids)

    # -- leases ------------------------------------------------------------------------------

    async def _lease_loop(self) -> None:
        """Keep extending the deadline of messages being handled, until they finish."""
        deadline = self.options.ack_deadline_seconds
        while True:
            await asyncio.sleep(deadline / 2)
            if self._leased and self._acks is not None:
                self._acks.extend(list(self._leased), deadline)
