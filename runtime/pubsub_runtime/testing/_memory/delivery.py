"""One subscription of the in-memory broker: its queue, its running handlers, its nack policy.

It follows the real subscriber (``_subscriber.py``): the payload is decoded with the topic's
``TopicSpec`` before the handler runs, and a payload that does not decode never reaches the
handler (logged, then nacked, or copied to the dead-letter topic per ``on_decode_error``); the
handler runs through ``run_handler`` as on the real subscriber (``Message`` or model per its
annotation, return acks, an exception or ``Retry`` nacks, ``Drop`` acks, ``timeout`` cancels);
at most ``max_messages`` (and ``max_messages_bytes``) handlers run at once; on an ordered
subscription the messages of a key run one at a time in publish order, and a nacked one is
redelivered before the next of its key (as Pub/Sub's ordering contract, and the real subscriber,
hold the rest of the key back). ``await message.ack()`` in a handler acks at once and returns
``AckResult.SUCCESS``; the handler's result then no longer settles the message. Redelivery is
immediate (no retry backoff, no ack
deadline, a ``Retry`` delay is recorded but not waited); after ``max_delivery_attempts`` the
message goes to the dead-letter topic, or without one it is abandoned after the test broker's
``max_redeliveries``. Installed observers (metrics, tracing) see each delivery as they do on
the real subscriber: received, decode failed or handled, then settled.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from pubsub_runtime import _observe
from pubsub_runtime._ack_errors import AckResult
from pubsub_runtime._attributes import (
    DEAD_LETTER_SOURCE_DELIVERY_COUNT,
    DEAD_LETTER_SOURCE_PROJECT,
    DEAD_LETTER_SOURCE_PUBLISH_TIME,
    DEAD_LETTER_SOURCE_SUBSCRIPTION,
    SCHEMA_ENCODING_ATTRIBUTE,
)
from pubsub_runtime._codecs.decode import decode as decode_payload
from pubsub_runtime._config import topic_path
from pubsub_runtime._dispatch import handler_task_name, inspect_handler, run_handler
from pubsub_runtime._filter import compile_filter
from pubsub_runtime._message import Message
from pubsub_runtime._poison import dead_letter_attributes, decode_reason
from pubsub_runtime._retry import Drop
from pubsub_runtime.testing._memory.records import Delivery, Outcome
from pubsub_runtime.testing._memory.wire import publish_time_text

if TYPE_CHECKING:
    from collections.abc import Awaitable, Mapping

    from pubsub_runtime._dispatch import Outcome as HandlerOutcome
    from pubsub_runtime._push.subscriber import PushSubscriber
    from pubsub_runtime._subscriber import Subscriber

__all__ = ["Pending", "Router", "SubscriptionQueue"]

logger = logging.getLogger("pubsub_runtime")


@dataclass(frozen=True, slots=True)
class Pending:
    """A message waiting for (re)delivery to one subscription."""

    id: str
    data: bytes
    attributes: dict[str, str]
    ordering_key: str | None
    publish_time: datetime
    topic: str
    attempt: int = 1


class Router(Protocol):
    """What a subscription queue reports to the test broker (private to the two of them)."""

    def _work_added(self) -> None: ...

    def _work_done(self) -> None: ...

    def _record(self, delivery: Delivery) -> None: ...

    def _publish_wire(
        self, path: str, data: bytes, attributes: Mapping[str, str] | None, key: str | None
    ) -> str: ...


@dataclass(slots=True)
class _Result:
    """How one delivery attempt ended, before the subscription's policy is applied."""

    message: Message[Any]
    ack: bool
    exception: BaseException | None = None
    handled: bool = True
    retry_delay: int = 0


class SubscriptionQueue:
    """Delivers the messages of one subscriber, as the real subscriber would."""

    def __init__(
        self, subscriber: Subscriber | PushSubscriber, router: Router, max_redeliveries: int
    ) -> None:
        self.subscriber = subscriber
        self.call = inspect_handler(subscriber.handler, subscriber.alias)
        self.accepts = compile_filter(subscriber.options.filter_expression or "")
        self.router = router
        self.max_redeliveries = max_redeliveries
        self.ordered = subscriber.options.enable_message_ordering
        self.ready: deque[Pending] = deque()
        self.behind: dict[str, deque[Pending]] = {}  # waiting for the running one of their key
        self.busy_keys: set[str] = set()
        self.running: set[asyncio.Task[None]] = set()
        self.running_bytes = 0
        self.handling: set[Message[Any]] = set()  # messages whose handler runs
        self.acked_early: set[Message[Any]] = set()  # by await message.ack()

    @property
    def waiting(self) -> int:
        return len(self.ready) + sum(len(q) for q in self.behind.values())

    def offer(self, item: Pending) -> bool:
        """Queue ``item`` unless the subscription's filter drops it (Pub/Sub acks those)."""
        if not self.accepts(item.attributes):
            return False
        self.router._work_added()
        self._enqueue(item)
        self._pump()
        return True

    def _enqueue(self, item: Pending) -> None:
        key = item.ordering_key if self.ordered else None
        if key is None:
            self.ready.append(item)
        elif key in self.busy_keys:
            self.behind.setdefault(key, deque()).append(item)
        else:
            self.busy_keys.add(key)
            self.ready.append(item)

    def _release_key(self, key: str | None) -> None:
        if key is None or not self.ordered:
            return
        queue = self.behind.get(key)
        if queue:
            self.ready.append(queue.popleft())  # the key stays busy with its next message
            if not queue:
                del self.behind[key]
        else:
            self.busy_keys.discard(key)

    def _has_room(self) -> bool:
        if not self.running:
            return True
        options = self.subscriber.options
        return (
            len(self.running) < options.max_messages
            and self.running_bytes < options.max_messages_bytes
        )

    def _pump(self) -> None:
        loop = asyncio.get_running_loop()
        while self.ready and self._has_room():
            item = self.ready.popleft()
            name = handler_task_name(self.subscriber.alias, self.call.qualname, item.id)
            task = loop.create_task(self._run(item), name=name)
            self.running.add(task)
            self.running_bytes += len(item.data)

    async def _run(self, item: Pending) -> None:
        task = asyncio.current_task()
        cancelled = False
        try:
            self._settle(item, await self._attempt(item))
        except asyncio.CancelledError:
            cancelled = True  # the test broker is closing
            raise
        except Exception:  # a bug here must not leave drain() waiting forever
            logger.exception("TestBroker: delivering message %s failed", item.id)
        finally:
            if task is not None:
                self.running.discard(task)
            self.running_bytes -= len(item.data)
            self.router._work_done()
            if not cancelled:
                self._pump()

    async def _attempt(self, item: Pending) -> _Result:
        subscriber = self.subscriber
        options = subscriber.options
        message: Message[Any] = Message(
            item.id,
            item.data,
            dict(item.attributes),
            item.ordering_key,
            item.publish_time,
            delivery_attempt=item.attempt if options.dead_letter_topic else None,
        )
        message._settler = self
        hooks = _observe.hooks
        if hooks is not None:
            hooks.received(subscriber, message)
        spec = subscriber.spec
        if spec is not None:
            try:
                attributes = message.attributes
                encoding = attributes.get(SCHEMA_ENCODING_ATTRIBUTE) or None
                message.payload = decode_payload(spec, message.data, encoding, attributes)
            except Exception as exc:
                if hooks is not None:
                    hooks.decode_failed(subscriber, message, decode_reason(exc))
                return _Result(message, ack=False, exception=exc, handled=False)
        raised: list[BaseException] = []

        async def handler(argument: Any) -> Any:
            try:
                return await subscriber.handler(argument)
            except BaseException as exc:  # kept for the record; run_handler decides
                raised.append(exc)
                raise

        def run() -> Awaitable[HandlerOutcome]:
            return run_handler(
                handler, self.call, message, alias=subscriber.alias, timeout=options.timeout
            )

        self.handling.add(message)
        try:
            outcome = await (run() if hooks is None else hooks.handle(subscriber, message, run))
        finally:
            self.handling.discard(message)
        exception = raised[-1] if raised else None
        if message in self.acked_early:  # the handler acked it; its result settles nothing
            self.acked_early.discard(message)
            return _Result(message, True, exception)
        if isinstance(exception, asyncio.CancelledError):  # run_handler's timeout cancelled it
            exception = TimeoutError(
                f"handler {self.call.qualname} did not finish within {options.timeout} s"
            )
        return _Result(message, outcome.ack, exception, retry_delay=outcome.delay)

    async def ack_now(self, message: Message[Any]) -> AckResult:
        """``await message.ack()`` in a handler: acked at once, as Pub/Sub would confirm."""
        if message not in self.handling:
            raise RuntimeError(
                f"message {message.id} can be acked with message.ack() only while its handler "
                "runs; afterwards the subscriber settles it from the handler's result"
            )
        self.acked_early.add(message)
        return AckResult.SUCCESS

    def _settle(self, item: Pending, result: _Result) -> None:
        options = self.subscriber.options
        outcome: Outcome
        poison_copy = False
        if result.ack:
            outcome = "dropped" if isinstance(result.exception, Drop) else "acked"
        elif not result.handled and options.on_decode_error == "dead_letter":
            outcome, poison_copy = "dead_lettered", True  # the runtime copies it, then acks
        elif options.dead_letter_topic:
            last = item.attempt >= options.max_delivery_attempts
            outcome = "dead_lettered" if last else "nacked"
        else:
            outcome = "abandoned" if item.attempt > self.max_redeliveries else "nacked"
        hooks = _observe.hooks
        if hooks is not None:  # what the real subscriber tells Pub/Sub (which dead-letters)
            told: _observe.Settlement = (
                "ack" if result.ack else "dead_letter" if poison_copy else "nack"
            )
            hooks.settled(self.subscriber, result.message, told)
        if not result.handled:
            what = "published to the dead-letter topic and acked" if poison_copy else "nacked"
            if outcome == "abandoned":
                what += " (the TestBroker's max_redeliveries reached)"
            _log_poison(self.subscriber, result.message, result.exception, what)
        self.router._record(
            Delivery(
                subscription=_short(self.subscriber.subscription_path),
                alias=self.subscriber.alias,
                topic=item.topic,
                message=result.message,
                attempt=item.attempt,
                outcome=outcome,
                exception=result.exception,
                handled=result.handled,
                dead_letter_topic=(
                    _short(options.dead_letter_topic)
                    if outcome == "dead_lettered" and options.dead_letter_topic
                    else None
                ),
                retry_delay=result.retry_delay,
                subscription_path=self.subscriber.subscription_path,
            )
        )
        if outcome == "nacked":
            # Redelivered now; an ordered key stays busy, so it comes before the key's next.
            self.router._work_added()
            self.ready.append(replace(item, attempt=item.attempt + 1))
            return
        if outcome == "dead_lettered":
            self._dead_letter(item, result, poison_copy)
        self._release_key(item.ordering_key)

    def _dead_letter(self, item: Pending, result: _Result, poison_copy: bool) -> None:
        """Publish to the dead-letter topic what Pub/Sub (or the runtime, for poison) would."""
        subscriber = self.subscriber
        assert subscriber.options.dead_letter_topic is not None
        project = subscriber.subscription_path.partition("/subscriptions/")[0]
        project = project.removeprefix("projects/")
        target = topic_path(project, subscriber.options.dead_letter_topic)
        if poison_copy:
            attributes = dead_letter_attributes(
                result.message,
                decode_reason(result.exception) if result.exception else "",
                subscription=subscriber.subscription_path,
                topic=subscriber.topic_path,
            )
            self.router._publish_wire(target, item.data, attributes, None)
            return
        attributes = {
            **item.attributes,
            DEAD_LETTER_SOURCE_DELIVERY_COUNT: str(item.attempt),
            DEAD_LETTER_SOURCE_SUBSCRIPTION: _short(subscriber.subscription_path),
            DEAD_LETTER_SOURCE_PROJECT: project,
            DEAD_LETTER_SOURCE_PUBLISH_TIME: publish_time_text(item.publish_time),
        }
        self.router._publish_wire(target, item.data, attributes, item.ordering_key)

    def cancel(self) -> list[asyncio.Task[None]]:
        """Drop what waits and cancel what runs (the test broker is closing)."""
        self.ready.clear()
        self.behind.clear()
        self.busy_keys.clear()
        tasks = list(self.running)
        for task in tasks:
            task.cancel()
        return tasks

    def describe(self) -> str:
        return (
            f"subscription {self.subscriber.subscription_name!r} "
            f"(handler {self.call.qualname}): {len(self.running)} running, "
            f"{self.waiting} waiting"
        )


def _short(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def _log_poison(
    subscriber: Subscriber | PushSubscriber,
    message: Message[Any],
    exc: BaseException | None,
    what: str,
) -> None:
    logger.error(
        "subscriber %s: message %s on %s does not decode (%s); %s",
        subscriber.alias,
        message.id,
        subscriber.subscription_path,
        decode_reason(exc) if exc is not None else "",
        what,
        extra={
            "alias": subscriber.alias,
            "message_id": message.id,
            "subscription": subscriber.subscription_path,
            "delivery_attempt": message.delivery_attempt,
        },
    )
