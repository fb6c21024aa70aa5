"""One subscriber: StreamingPull streams feeding concurrent handler tasks.

Each received message becomes one asyncio task running ``deliver`` (``_delivery``: decode,
poison policy, observers, the handler, settle), named by ``handler_task_name`` so the loop
watchdog can name a handler that blocks. On Python 3.12+ the task starts eagerly: it runs at
once, in its own context, until it first suspends, and a handler that never suspends costs no
trip through the event loop. With nothing to do around the handler (no codec, observers or
timeout) the task runs the handler's coroutine alone and the message is settled here as the
task ends in its first step (``settle_bare``: ``deliver``'s decisions); once a handler of the
subscriber suspends, the rest run in ``deliver`` again, which settles as soon as they return.
The subscriber is the ``Transport`` of its deliveries: acks and nacks go to its ``AckBatcher``,
poison copies to the broker's publish, unknown schema revisions are fetched from the registry
(while it cannot be reached, the message is nacked). ``max_messages``/``max_messages_bytes``
bound the messages held at once: when full, the stream is not read until a handler finishes
(the emulator ignores the server-side bound, so the client-side one is what holds). Every
message received is leased (its ack deadline extended) until it is settled, including those
waiting for a handler slot (one settled within its first step needs none: the lease loop
cannot run meanwhile); those the stream holds unread are covered by the stream's ack deadline
(at least 60 s, as in the official client). Messages of one ordering key run one at a time, in
order, when the subscription is ordered; after a failure, the rest of the key is nacked back,
and later messages of the key are nacked until the failed one comes back (Pub/Sub's ordering
contract).

On an exactly-once subscription an ack counts only once Pub/Sub confirms it: the lease is kept
until then, and a refused ack is logged with the message id and reason and reported to the
observers as "ack_failed". ``await message.ack()`` lets a handler wait for that answer.

A broken stream is reopened with backoff; a subscription that vanished (an emulator restart, a
deleted subscription) is created again first when ``autocreate`` is on, else the stream fails.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sys
import uuid
from collections import deque
from typing import TYPE_CHECKING, Any, Final

from google.pubsub_v1 import StreamingPullResponse

from pubsub_runtime import _observe
from pubsub_runtime._ack_errors import AckResult
from pubsub_runtime._acks import AckAnswer, AckBatcher
from pubsub_runtime._codecs.revisions import learn_revision
from pubsub_runtime._config import SubscriberOptions, TopicCodec
from pubsub_runtime._delivery import Settled, deliver, runs_bare, settle_bare
from pubsub_runtime._dispatch import Handler, HandlerCall, handler_task_name, raised
from pubsub_runtime._errors import UnknownWriterSchema
from pubsub_runtime._message import Message
from pubsub_runtime._poison import PublishFunction
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
_StreamingPullResponsePb: Any = StreamingPullResponse.pb


def _create_task(
    loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, Any], name: str
) -> asyncio.Task[Any]:
    return loop.create_task(coro, name=name)


# Tasks of the hot path are made by calling Task itself: through a partial, each call would
# copy and merge its keyword arguments (measured 70-100 ns per message).
_EAGER: Final = sys.version_info >= (3, 12)
_Task: Any = asyncio.Task

if sys.version_info >= (3, 12):

    def _eager_task_factory(loop: asyncio.AbstractEventLoop) -> Callable[..., asyncio.Task[Any]]:
        # ``factory(coro, name=...)`` runs the coroutine until its first suspension before
        # returning (in a copy of the context, as the current task): the task may be done.
        return functools.partial(asyncio.Task, loop=loop, eager_start=True)

else:

    def _eager_task_factory(loop: asyncio.AbstractEventLoop) -> Callable[..., asyncio.Task[Any]]:
        return loop.create_task


class Subscriber:
    """A handler bound to a subscription. Created by ``@broker.subscriber``; run by the broker.

    ``state`` is one of "idle", "starting", "running", "reconnecting", "stopping", "stopped",
    "failed"; ``in_flight`` counts the messages received and not yet acked or nacked.
    """

    kind: str = "subscriber"  # what its log lines call it

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
        self.call = call
        self._task_name_prefix = handler_task_name(alias, call.qualname, "")  # + message id
        self._state: SubscriberState = "idle"
        self._on_wire = False  # the broker runs on a wire (in memory): no stream of its own
        self._pull_streams: list[PullStream] = []
        self._client: SubscriberAsyncClient | None = None
        self._acks: AckBatcher | None = None
        self._streams: list[asyncio.Task[None]] = []
        self._lease_task: asyncio.Task[None] | None = None
        self._running: dict[str, asyncio.Future[None]] = {}  # handler (dead-letter) tasks
        self._starting: asyncio.Future[None] | None = None  # see _start_handler
        self._stepping: str | None = None  # ack id of a bare handler in its first step
        self._bare = True  # False once a bare handler suspended (see _on_response)
        self._new_eager_task: Callable[..., asyncio.Task[Any]] = asyncio.Task
        self._leased: dict[str, None] = {}  # ack ids received and not yet finished
        self._key_queues: dict[str, deque[tuple[str, Message[Any]]]] = {}
        # ordering key -> (id of its failed message, loop time the hold ends at the latest)
        self._held_keys: dict[str, tuple[str, float]] = {}
        self._acked_early: dict[str, asyncio.Future[AckAnswer]] = {}  # await message.ack()
        self._in_flight = 0
        self._in_flight_bytes = 0
        self._room = asyncio.Event()
        self._room_wanted = False  # a stream waits for room: set _room when a slot frees
        self._end_requests = asyncio.Event()
        self._closing = False
        self._ordered = options.enable_message_ordering
        self._client_id = uuid.uuid4().hex
        self._publish: PublishFunction | None = None
        self._recreate: Callable[[], Awaitable[None]] | None = None
        self._recreating: asyncio.Lock | None = None
        self._schema_client: Callable[[], Any] | None = None

    # -- what the health endpoints read ------------------------------------------------------

    @property
    def state(self) -> SubscriberState:
        if self._on_wire:
            return "running"
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

    def run_on_wire(self, running: bool) -> None:
        """Report "running" while the broker's wire (the in-memory broker) delivers for it."""
        self._on_wire = running

    async def start(
        self,
        client_factory: Callable[[], SubscriberAsyncClient],
        *,
        publish: PublishFunction | None = None,
        recreate: Callable[[], Awaitable[None]] | None = None,
        schema_client: Callable[[], Any] | None = None,
    ) -> None:
        """Open the streams; returns once each stream connected once (or failed).

        ``publish`` sends dead-letter copies of poison messages (``on_decode_error``);
        ``recreate`` creates the topic and subscription again when the stream finds the
        subscription missing (the broker passes it when ``autocreate`` is on);
        ``schema_client`` makes a registry client to fetch unknown schema revisions.
        """
        if self._state not in ("idle", "stopped", "failed"):
            return
        loop = asyncio.get_running_loop()
        self._state = "starting"
        self._starting = loop.create_future()
        self._starting.set_result(None)
        self._publish = publish
        self._recreate = recreate
        self._schema_client = schema_client
        self._recreating = asyncio.Lock()
        self._closing = False
        self._room = asyncio.Event()
        self._room.set()
        self._room_wanted = False
        self._new_eager_task = _eager_task_factory(loop)
        self._end_requests = asyncio.Event()
        self._client = client_factory()
        options = self.options
        self._acks = AckBatcher(
            self.subscription_path,
            self._require_client,
            loop,
            ack_window=options.ack_batch_window,
            retry_seconds=options.ack_deadline_seconds,
        )
        self._acks.exactly_once = options.enable_exactly_once_delivery
        self._held_keys = {}
        self._acked_early = {}
        self._bare = True
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
                for running_task in pending:
                    running_task.cancel()
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
        acks = self._acks
        assert acks is not None  # made by start()
        if pb.HasField("subscription_properties"):
            properties = pb.subscription_properties
            self._ordered = (
                self.options.enable_message_ordering or properties.message_ordering_enabled
            )
            acks.exactly_once = (
                self.options.enable_exactly_once_delivery
                or properties.exactly_once_delivery_enabled
            )
        received = pb.received_messages
        # What _dispatch does, inlined for the common case (every message passes here).
        from_pb = Message._from_pb
        loop = asyncio.get_running_loop()
        eager = _EAGER
        running = self._running
        leased = self._leased
        starting = self._starting
        assert starting is not None  # made by start()
        prefix = self._task_name_prefix
        # Nothing around the handler (no codec, observers or timeout): its coroutine is the task,
        # settled here when it ends in its first step. A done callback would settle one that
        # suspends a loop turn after it returns: once one did, ``deliver`` runs the handlers.
        bare = self._bare and runs_bare(self)
        handler = self.handler
        plain_acks = not acks.exactly_once
        acked: list[str] = []  # of handlers that ended in their first step: one call to acks
        index = 0
        try:
            for index, item in enumerate(received):
                if self._in_flight and not self._closing and self._full():
                    acks.ack_many(acked)
                    acked.clear()
                    # Received, waiting for a slot: leased like the running ones.
                    leased.update(dict.fromkeys([later.ack_id for later in received[index:]]))
                    await self._wait_for_room()
                if self._closing:
                    self._hand_back(received[index:])
                    return
                # each read of a protobuf string field makes a new str (hashed anew): read once
                ack_id = item.ack_id
                message = from_pb(item, ack_id, self)
                if self._held_keys or (self._ordered and message.ordering_key is not None):
                    self._dispatch(ack_id, message)
                    continue
                if not bare:
                    self._in_flight += 1
                    self._in_flight_bytes += len(message.data)
                    leased[ack_id] = None
                    # The place of the task while an eager task runs its first step: the
                    # handler counts as running (message.ack() checks), stop() can wait on it.
                    running[ack_id] = starting
                    coro: Any = deliver(self, message, self)
                    name = prefix + message.id
                    if eager:  # runs until it first suspends (in a copy of the context)
                        task = _Task(coro, loop=loop, name=name, eager_start=True)
                    else:
                        task = loop.create_task(coro, name=name)
                    if not task.done():  # an eager task that finished has released its message
                        running[ack_id] = task
                    continue
                # No lease, no entry in _running and no bytes counted while the task runs its
                # first step (nothing else runs meanwhile to read them; message.ack() checks
                # _stepping): a handler that ends there needs none of them.
                self._stepping = ack_id
                self._in_flight += 1
                try:
                    coro = handler(message)
                    name = prefix + message.id
                    if eager:
                        task = _Task(coro, loop=loop, name=name, eager_start=True)
                    else:
                        task = loop.create_task(coro, name=name)
                except Exception as exc:  # calling it raised (inspect_handler saw it is async)
                    self._count_bytes(message)
                    outcome = raised(exc, self.call, message, self.alias)
                    self.settle(message, outcome.ack, outcome.delay)
                    continue
                except BaseException:  # KeyboardInterrupt or SystemExit out of its first step
                    self._count_bytes(message)
                    self.interrupted(message)
                    raise
                finally:
                    self._stepping = None
                try:
                    result = task.result()
                except asyncio.InvalidStateError:
                    if task.done():  # the handler raised it: settle_bare reads it
                        result = task
                    else:  # suspended: from here on its task settles it when it ends
                        self._count_bytes(message)
                        running[ack_id] = task
                        leased[ack_id] = None
                        task.add_done_callback(functools.partial(settle_bare, self, message, self))
                        bare = self._bare = False
                        continue
                except BaseException:
                    result = task  # settle_bare reads what it raised
                if result is not None or self._acked_early or not plain_acks:
                    self._count_bytes(message)
                    settle_bare(self, message, self, task)
                    continue
                # settle()'s plain ack: the message was never leased, in _running nor counted
                # in bytes, and an unordered one has no queue of its key to start.
                acked.append(ack_id)
                self._in_flight -= 1
        except asyncio.CancelledError:
            self._hand_back(received[index:])
            raise
        finally:
            acks.ack_many(acked)

    def _count_bytes(self, message: Message[Any]) -> None:
        """Count the bytes of a bare handler's message (settle() and _finish() uncount them)."""
        self._in_flight_bytes += len(message.data)

    def _full(self) -> bool:
        options = self.options
        return (
            self._in_flight >= options.max_messages
            or self._in_flight_bytes >= options.max_messages_bytes
        )

    async def _wait_for_room(self) -> None:
        """Until a handler ends and frees a slot below the bounds (or the subscriber stops)."""
        room = self._room
        while self._in_flight and not self._closing and self._full():
            self._room_wanted = True
            room.clear()
            await room.wait()

    def _hand_back(self, received: Any) -> None:
        """Nack messages received while stopping: they were never handled."""
        ack_ids = [item.ack_id for item in received]
        for ack_id in ack_ids:
            self._leased.pop(ack_id, None)
        if self._acks is not None:
            self._acks.nack_many(ack_ids)

    # -- dispatch ----------------------------------------------------------------------------

    def _dispatch(self, ack_id: str, message: Message[Any]) -> None:
        """A message of an ordering key, or any while some key is held back."""
        self._leased[ack_id] = None
        if self._held_keys and self._holds_back(ack_id, message):
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
        self._start_handler(ack_id, message, eager=True)

    def _start_handler(self, ack_id: str, message: Message[Any], *, eager: bool = False) -> None:
        # Eager only from _dispatch: a handler started from _finish (the next message of an
        # ordering key) would otherwise start the one after it inside itself, one stack frame
        # deeper per queued message.
        name = self._task_name_prefix + message.id
        running = self._running
        if self._starting is not None:
            # Holds the place of the task while an eager one runs its first step: the handler
            # counts as running (message.ack() checks), and stop() can wait on it (it is done).
            running[ack_id] = self._starting
        coro = deliver(self, message, self)
        if eager:
            task = self._new_eager_task(coro, name=name)
        else:
            task = _create_task(asyncio.get_running_loop(), coro, name)
        if not task.done():  # an eager task that finished has released its message already
            running[ack_id] = task

    # -- settling: the Transport that ``deliver`` reports to ----------------------------------

    @property
    def publish(self) -> PublishFunction | None:
        """The broker's publish, for dead-letter copies of poison messages."""
        return self._publish

    def settle(self, message: Message[Any], ack: bool, delay: int) -> Settled:
        ack_id = message._ack_id
        acks = self._acks
        assert ack_id is not None and acks is not None
        if self._acked_early:
            answer = self._acked_early.pop(ack_id, None)
            if answer is not None:  # the handler acked it (await message.ack()): settled there
                self._finish(ack_id, message, False, not answer.done())  # leased until answered
                return "acked_by_handler"
        if not ack:
            if delay:
                acks.nack_later(ack_id, delay)
            else:
                acks.nack(ack_id)
            self._finish(ack_id, message, True, False, delay)
            return "nack"
        if acks.exactly_once:
            self._confirm(ack_id, message, acks.ack_confirmed(ack_id))
            self._finish(ack_id, message, False, True)
            return "ack_confirming"  # reported when Pub/Sub answers
        acks.ack(ack_id)
        # _finish inlined (every message passes here): free the slot, start the key's next
        self._running.pop(ack_id, None)  # not there yet when an eager task ends at once
        self._leased.pop(ack_id, None)
        self._in_flight -= 1
        self._in_flight_bytes -= len(message.data)
        if self._room_wanted:
            self._room_wanted = False
            self._room.set()
        key = message.ordering_key
        if key is not None and key in self._key_queues:
            queue = self._key_queues[key]
            if queue and not self._closing:
                self._start_handler(*queue.popleft())
            elif not queue:
                del self._key_queues[key]
        return "ack"

    def dead_lettered(self, message: Message[Any]) -> None:
        ack_id = message._ack_id
        assert ack_id is not None and self._acks is not None
        self._acks.ack(ack_id)
        self._finish(ack_id, message, False)

    def interrupted(self, message: Message[Any]) -> bool:
        ack_id = message._ack_id
        assert ack_id is not None
        nacked = self._acked_early.pop(ack_id, None) is None
        if nacked and self._acks is not None:
            self._acks.nack(ack_id)
        self._finish(ack_id, message, True)
        return nacked

    # -- confirmed acks ----------------------------------------------------------------------

    async def ack_now(self, message: Message[Any]) -> AckResult:
        """Ack ``message`` now and return Pub/Sub's answer (``await message.ack()``)."""
        ack_id = message._ack_id
        if (
            ack_id is None
            or (ack_id not in self._running and ack_id != self._stepping)
            or self._acks is None
        ):
            raise RuntimeError(
                f"message {message.id} can be acked with message.ack() only while its handler "
                "runs; afterwards the subscriber settles it from the handler's result"
            )
        answer = self._acked_early.get(ack_id)
        if answer is None:
            answer = self._acked_early[ack_id] = self._acks.ack_confirmed(ack_id, now=True)
            self._confirm(ack_id, message, answer)
        result, _ = await asyncio.shield(answer)
        return result

    def _confirm(
        self, ack_id: str, message: Message[Any], answer: asyncio.Future[AckAnswer]
    ) -> None:
        """Count and log the ack when Pub/Sub answers; the lease lasts until then."""

        def answered(done: asyncio.Future[AckAnswer]) -> None:
            if ack_id not in self._running:
                self._leased.pop(ack_id, None)
            result, reason = done.result()
            hooks = _observe.hooks
            if result is AckResult.SUCCESS:
                if hooks is not None:
                    hooks.settled(self, message, "ack")
                return
            logger.warning(
                "subscriber %s: ack of message %s on %s refused (%s): %s; Pub/Sub will "
                "deliver it again",
                self.alias,
                message.id,
                self.subscription_path,
                result.value,
                reason,
                extra={
                    "alias": self.alias,
                    "message_id": message.id,
                    "subscription": self.subscription_path,
                    "ack_result": result.value,
                    "reason": reason,
                },
            )
            if hooks is not None:
                hooks.settled(self, message, "ack_failed")

        answer.add_done_callback(answered)

    # -- schema revisions fetched from the registry ------------------------------------------

    async def learn_revision(self, spec: Any, unknown: UnknownWriterSchema) -> bool:
        """Fetch the revision the message names (once per process) and give it to the spec;
        False without a registry client (see ``revisions.learn_revision``)."""
        if self._schema_client is None:
            return False
        return await learn_revision(spec, unknown, self._schema_client)

    # -- bookkeeping -------------------------------------------------------------------------

    def _release(self, ack_id: str, message: Message[Any], keep_lease: bool = False) -> None:
        self._running.pop(ack_id, None)  # not there yet when an eager task ends at once
        if keep_lease:  # a handler that ended in its first step was not leased yet
            self._leased[ack_id] = None
        else:
            self._leased.pop(ack_id, None)
        self._in_flight -= 1
        self._in_flight_bytes -= len(message.data)
        if self._room_wanted:
            self._room_wanted = False
            self._room.set()

    def _finish(
        self,
        ack_id: str,
        message: Message[Any],
        failed: bool,
        confirming: bool = False,
        delay: int = 0,
    ) -> None:
        """Free the handler slot; ``confirming``: keep the lease until Pub/Sub answers."""
        self._release(ack_id, message, confirming)
        key = message.ordering_key
        if key is None or key not in self._key_queues:
            return
        queue = self._key_queues[key]
        if failed and not self._closing and self._redelivered_before_the_rest(message):
            self._hold_back(key, message, queue, delay)
        elif queue and not self._closing:
            self._start_handler(*queue.popleft())
        elif not queue:
            del self._key_queues[key]

    # -- ordering after a failure ------------------------------------------------------------

    def _redelivered_before_the_rest(self, message: Message[Any]) -> bool:
        """False when the failure was the last attempt Pub/Sub allows (it dead-letters)."""
        options = self.options
        attempt = message.delivery_attempt
        return not (
            options.dead_letter_topic and attempt and attempt >= options.max_delivery_attempts
        )

    def _hold_back(
        self, key: str, failed: Message[Any], queue: deque[tuple[str, Message[Any]]], delay: int
    ) -> None:
        """Nack the rest of the key, in order, and hold it until ``failed`` comes back."""
        del self._key_queues[key]
        ack_ids = []
        hooks = _observe.hooks
        for ack_id, message in queue:
            ack_ids.append(ack_id)
            self._leased.pop(ack_id, None)
            self._in_flight -= 1
            self._in_flight_bytes -= len(message.data)
            if hooks is not None:
                hooks.settled(self, message, "nack")
        assert self._acks is not None
        for ack_id in ack_ids:  # one batch with the failed one's nack, in the key's order
            self._acks.nack(ack_id)
        if self._room_wanted:
            self._room_wanted = False
            self._room.set()
        self._hold_key(key, failed, delay)

    def _hold_key(self, key: str, failed: Message[Any], delay: int = 0) -> None:
        """Nack what comes of ``key`` until ``failed`` is delivered again."""
        # Pub/Sub redelivers the failed message before the rest of its key; should it never
        # come back here (another replica got it), the hold ends after its longest backoff.
        options = self.options
        longest = delay + options.max_backoff_delay_secs + options.ack_deadline_seconds
        self._held_keys[key] = (failed.id, asyncio.get_running_loop().time() + longest)

    def _holds_back(self, ack_id: str, message: Message[Any]) -> bool:
        """Nack ``message`` when its key waits for a failed message to come back first."""
        key = message.ordering_key
        held = self._held_keys.get(key) if key is not None and self._ordered else None
        if held is None:
            return False
        assert key is not None and self._acks is not None
        failed_id, until = held
        if message.id == failed_id or asyncio.get_running_loop().time() > until:
            del self._held_keys[key]
            return False
        self._leased.pop(ack_id, None)
        self._acks.nack(ack_id)
        return True

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
