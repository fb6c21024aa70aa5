"""One subscription of the in-memory broker: its queue, its running handlers, its nack policy.

Each attempt goes through the runtime's one ``deliver`` (``_delivery``), as on the real
subscriber, with the queue as its ``Transport``: the payload is decoded with the topic's
``TopicSpec`` before the handler runs, a payload that does not decode never reaches the handler
(logged, then nacked, or copied to the dead-letter topic per ``on_decode_error``), the handler
gets the ``Message`` or the model per its annotation (return acks, an exception or ``Retry``
nacks, ``Drop`` acks, ``timeout`` cancels), and installed observers (metrics, tracing) see
each delivery as they do there. What Pub/Sub then does is played here (``_settle``): at most
``max_messages`` (and ``max_messages_bytes``) handlers run at once; on an ordered subscription
the messages of a key run one at a time in publish order, and a nacked one is redelivered
before the next of its key (as Pub/Sub's ordering contract, and the real subscriber, hold the
rest of the key back). ``await message.ack()`` in a handler acks at once and returns
``AckResult.SUCCESS``; the handler's result then no longer settles the message. Redelivery is
immediate (no retry backoff, no ack deadline, a ``Retry`` delay is recorded but not waited);
after ``max_delivery_attempts`` the message goes to the dead-letter topic, or without one it is
abandoned after the test broker's ``max_redeliveries``.
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
)
from pubsub_runtime._config import TopicCodec, project_of, short_name, topic_path
from pubsub_runtime._delivery import Delivered, Settled, deliver
from pubsub_runtime._dispatch import handler_task_name
from pubsub_runtime._errors import UnknownWriterSchema
from pubsub_runtime._filter import compile_filter
from pubsub_runtime._message import Message
from pubsub_runtime._poison import PublishFunction
from pubsub_runtime._retry import Drop
from pubsub_runtime.testing._memory.records import Delivery, Outcome
from pubsub_runtime.testing._memory.wire import publish_time_text

if TYPE_CHECKING:
    from collections.abc import Mapping

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


class SubscriptionQueue:
    """Delivers the messages of one subscriber, as the real subscriber would."""

    def __init__(
        self, subscriber: Subscriber | PushSubscriber, router: Router, max_redeliveries: int
    ) -> None:
        self.subscriber = subscriber
        self.call = subscriber.call
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
            self._settle(item, *await self._attempt(item))
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

    async def _attempt(self, item: Pending) -> tuple[Message[Any], Delivered]:
        subscriber = self.subscriber
        message: Message[Any] = Message(
            item.id,
            item.data,
            dict(item.attributes),
            item.ordering_key,
            item.publish_time,
            delivery_attempt=item.attempt if subscriber.options.dead_letter_topic else None,
        )
        message._settler = self
        self.handling.add(message)
        try:
            return message, await deliver(subscriber, message, self)
        finally:
            self.handling.discard(message)
            self.acked_early.discard(message)

    # -- the Transport that ``deliver`` reports to; ``_settle`` then plays Pub/Sub ------------

    @property
    def publish(self) -> PublishFunction:
        """Dead-letter copies of poison messages go on the in-memory wire."""
        return self._publish_copy

    async def _publish_copy(
        self, path: str, data: bytes, attributes: Mapping[str, str] | None, key: str | None
    ) -> str:
        return self.router._publish_wire(path, data, attributes, key)

    def settle(self, message: Message[Any], ack: bool, delay: int) -> Settled:
        if message in self.acked_early:
            return "acked_by_handler"  # by await message.ack(), reported then
        return "ack" if ack else "nack"

    def dead_lettered(self, message: Message[Any]) -> None:
        return None

    def interrupted(self, message: Message[Any]) -> bool:
        return False  # the test broker is closing: nothing is told about the message

    async def learn_revision(self, spec: TopicCodec, unknown: UnknownWriterSchema) -> bool:
        return False  # no registry in memory: an unknown writer schema is poison

    async def ack_now(self, message: Message[Any]) -> AckResult:
        """``await message.ack()`` in a handler: acked at once, as Pub/Sub would confirm."""
        if message not in self.handling:
            raise RuntimeError(
                f"message {message.id} can be acked with message.ack() only while its handler "
                "runs; afterwards the subscriber settles it from the handler's result"
            )
        if message not in self.acked_early:
            self.acked_early.add(message)
            hooks = _observe.hooks
            if hooks is not None:
                hooks.settled(self.subscriber, message, "ack")
        return AckResult.SUCCESS

    def _settle(self, item: Pending, message: Message[Any], result: Delivered) -> None:
        """What Pub/Sub does after the subscriber's answer: redeliver, or dead-letter at last."""
        options = self.subscriber.options
        outcome: Outcome
        if result.settlement == "dead_letter":
            outcome = "dead_lettered"  # the runtime copied the poison message there, and acked
        elif result.ack:
            outcome = "dropped" if isinstance(result.error, Drop) else "acked"
        elif options.dead_letter_topic:
            last = item.attempt >= options.max_delivery_attempts
            outcome = "dead_lettered" if last else "nacked"
        else:
            outcome = "abandoned" if item.attempt > self.max_redeliveries else "nacked"
        self.router._record(
            Delivery(
                subscription=short_name(self.subscriber.subscription_path),
                alias=self.subscriber.alias,
                topic=item.topic,
                message=message,
                attempt=item.attempt,
                outcome=outcome,
                exception=result.error,
                handled=result.handled,
                dead_letter_topic=(
                    short_name(options.dead_letter_topic)
                    if outcome == "dead_lettered" and options.dead_letter_topic
                    else None
                ),
                retry_delay=result.delay,
                subscription_path=self.subscriber.subscription_path,
            )
        )
        if outcome == "nacked":
            # Redelivered now; an ordered key stays busy, so it comes before the key's next.
            self.router._work_added()
            self.ready.append(replace(item, attempt=item.attempt + 1))
            return
        if outcome == "dead_lettered" and result.settlement != "dead_letter":
            self._dead_letter(item)
        self._release_key(item.ordering_key)

    def _dead_letter(self, item: Pending) -> None:
        """Forward to the dead-letter topic what Pub/Sub would, after the last attempt."""
        subscriber = self.subscriber
        assert subscriber.options.dead_letter_topic is not None
        project = project_of(subscriber.subscription_path)
        target = topic_path(project, subscriber.options.dead_letter_topic)
        attributes = {
            **item.attributes,
            DEAD_LETTER_SOURCE_DELIVERY_COUNT: str(item.attempt),
            DEAD_LETTER_SOURCE_SUBSCRIPTION: short_name(subscriber.subscription_path),
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
