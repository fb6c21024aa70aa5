"""``TestBroker``: run a ``PubSubBroker``'s handlers in memory, for users' unit tests.

Usage::

    from pubsub_runtime.testing import TestBroker

    async def test_order_is_handled() -> None:
        async with TestBroker(broker) as tb:  # no network, no emulator
            await broker.publish("order_placed", order)  # or OrderPlacedPublisher(broker)
            await tb.drain()  # deliver until every subscription is idle
            assert tb.acked("order_placed-sub")[0].payload == order

While active, the broker's publishes go through its real codec path (``TopicSpec.encode`` and
the codec's attributes, the bytes Pub/Sub would receive) and are routed in memory to every
subscription of the topic, pull or push, where the real dispatch rules apply (see
``delivery``).

How it plugs in: the test broker is a ``Wire`` (``pubsub_runtime._broker``) that the broker is
plugged into while it is active: ``PubSubBroker.publish`` hands it the encoded message instead
of sending it to Pub/Sub, and ``broker.start()`` only prepares the codecs (so ``async with
broker:`` inside a test opens no stream). Started in memory, the broker and its subscribers
report "started" and "running", so an app's health endpoints answer 200 as they would in
production. On exit the broker is unplugged, as it was before.
Handlers run on the loop that publishes: drive an app with ``httpx.AsyncClient`` over
``ASGITransport`` in the test's loop, not with a client that runs its own loop in a thread.

A fixture is two lines in a ``conftest.py``::

    @pytest.fixture
    async def tb() -> AsyncIterator[TestBroker]:
        async with TestBroker(app_broker) as test_broker:
            yield test_broker
"""

from __future__ import annotations

import asyncio
import itertools
import warnings
from collections.abc import Mapping
from datetime import UTC, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any

from pubsub_runtime._attributes import SCHEMA_ENCODING_ATTRIBUTE
from pubsub_runtime._codecs.decode import decode as decode_payload
from pubsub_runtime._config import short_name, subscription_path, topic_path
from pubsub_runtime._push.registry import push_registry
from pubsub_runtime._retry import Drop, Retry
from pubsub_runtime.testing._memory.delivery import Pending, SubscriptionQueue
from pubsub_runtime.testing._memory.records import Delivery, PublishedMessage
from pubsub_runtime.testing._memory.wire import MemoryWire, check_message, raw_bytes

if TYPE_CHECKING:
    from pubsub_runtime._broker import PubSubBroker
    from pubsub_runtime._push.subscriber import PushSubscriber
    from pubsub_runtime._subscriber import Subscriber

    AnySubscriber = Subscriber | PushSubscriber

__all__ = ["TestBroker"]


def _all_subscribers(broker: PubSubBroker) -> list[AnySubscriber]:
    """Pull and push subscribers: in memory a push subscriber's handler is called directly,
    as the app's push route would call it."""
    return [*broker.subscribers, *push_registry(broker).subscribers]


class TestBroker:
    """An in-memory Pub/Sub for a ``PubSubBroker`` and its ``@broker.subscriber`` handlers.

    ``max_redeliveries`` bounds the redeliveries of a failing message on a subscription
    without a dead-letter topic (Pub/Sub would retry until the message expires); after it the
    last delivery is recorded as ``"abandoned"``. ``raise_errors`` is ``drain()``'s default.
    """

    __test__ = False  # not a pytest test class, despite its name

    def __init__(
        self,
        broker: PubSubBroker,
        *,
        max_redeliveries: int = 10,
        raise_errors: bool = False,
    ) -> None:
        if max_redeliveries < 0:
            raise ValueError(f"max_redeliveries must be >= 0, got {max_redeliveries}")
        self.broker = broker
        self.max_redeliveries = max_redeliveries
        self.raise_errors = raise_errors
        self._active = False
        self._queues: dict[int, SubscriptionQueue] = {}
        self._round_robin: dict[str, int] = {}
        self._ids = itertools.count(1)
        self._published: list[PublishedMessage] = []
        self._deliveries: list[Delivery] = []
        self._reported = 0  # deliveries already checked by drain(raise_errors=True)
        self._work = 0  # messages queued or being handled, on every subscription
        self._idle = asyncio.Event()  # made anew on entry: an Event binds to one loop

    # -- entering and leaving ----------------------------------------------------------------

    async def __aenter__(self) -> TestBroker:
        broker = self.broker
        if self._active:
            raise RuntimeError("this TestBroker is already active")
        broker._plug(MemoryWire(self._publish_wire, self._start_in_memory, self._stop_in_memory))
        try:
            for subscriber in _all_subscribers(broker):
                self._queue(subscriber)  # a filter Pub/Sub would refuse fails here
        except BaseException:
            broker._unplug()
            raise
        self._work = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._active = True
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            busy = self._busy()
            if busy and exc_type is None:
                warnings.warn(
                    "TestBroker closed with messages not handled yet (" + "; ".join(busy) + "): "
                    "await tb.drain() before asserting on what was handled",
                    RuntimeWarning,
                    stacklevel=2,
                )
            tasks = [task for queue in self._queues.values() for task in queue.cancel()]
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            self._restore()

    def _busy(self) -> list[str]:
        return [q.describe() for q in self._queues.values() if q.running or q.waiting]

    def _restore(self) -> None:
        self.broker._unplug()
        self._active = False

    # -- what the wire the broker is plugged into calls --------------------------------------

    async def _start_in_memory(self) -> None:
        """``broker.start()`` while in memory: check the codecs as the real start does."""
        for subscriber in _all_subscribers(self.broker):
            prepare = getattr(subscriber.spec, "prepare", None)
            if prepare is not None:
                prepare()
            self._queue(subscriber)

    async def _stop_in_memory(self) -> None:
        """``broker.stop()`` while in memory: what is queued stays for ``drain()`` (there is
        no connection to close)."""

    def _require_active(self) -> None:
        if not self._active:
            raise RuntimeError("use the TestBroker inside 'async with TestBroker(broker) as tb:'")

    # -- the in-memory wire ------------------------------------------------------------------

    def _queue(self, subscriber: AnySubscriber) -> SubscriptionQueue:
        queue = self._queues.get(id(subscriber))
        if queue is None or queue.subscriber is not subscriber:
            queue = SubscriptionQueue(subscriber, self, self.max_redeliveries)
            self._queues[id(subscriber)] = queue
        return queue

    def _publish_wire(
        self,
        path: str,
        data: bytes,
        attributes: Mapping[str, str] | None,
        ordering_key: str | None,
    ) -> str:
        """Accept a message for topic ``path`` as Pub/Sub would, record it, route it."""
        self._require_active()
        attrs = dict(attributes or {})
        check_message(path, data, attrs, ordering_key or "")
        message_id = str(next(self._ids))
        now = datetime.now(UTC)
        self._published.append(
            self._published_record(message_id, path, data, attrs, ordering_key, now)
        )
        item = Pending(message_id, bytes(data), attrs, ordering_key or None, now, short_name(path))
        by_subscription: dict[str, list[SubscriptionQueue]] = {}
        for subscriber in _all_subscribers(self.broker):
            if subscriber.topic_path == path:
                queues = by_subscription.setdefault(subscriber.subscription_path, [])
                queues.append(self._queue(subscriber))
        for sub_path, queues in by_subscription.items():
            # Subscribers sharing a subscription share its messages, as with Pub/Sub.
            turn = self._round_robin.get(sub_path, 0)
            self._round_robin[sub_path] = turn + 1
            queues[turn % len(queues)].offer(item)
        return message_id

    def _published_record(
        self,
        message_id: str,
        path: str,
        data: bytes,
        attributes: dict[str, str],
        ordering_key: str | None,
        now: datetime,
    ) -> PublishedMessage:
        payload: Any = None
        error: Exception | None = None
        spec = self.broker.topics.get(short_name(path))
        if spec is not None:
            try:
                encoding = attributes.get(SCHEMA_ENCODING_ATTRIBUTE) or None
                payload = decode_payload(spec, data, encoding, attributes)
            except Exception as exc:
                error = exc
        return PublishedMessage(
            id=message_id,
            topic=short_name(path),
            data=bytes(data),
            attributes=dict(attributes),
            ordering_key=ordering_key or None,
            publish_time=now,
            topic_path=path,
            payload=payload,
            decode_error=error,
        )

    # -- what the subscription queues report (the Router protocol) ---------------------------

    def _work_added(self) -> None:
        self._work += 1
        self._idle.clear()

    def _work_done(self) -> None:
        self._work -= 1
        if self._work <= 0:
            self._work = 0
            self._idle.set()

    def _record(self, delivery: Delivery) -> None:
        self._deliveries.append(delivery)

    # -- injecting messages ------------------------------------------------------------------

    async def publish(
        self,
        topic_name: str,
        data: bytes | str,
        attributes: Mapping[str, str] | None = None,
        ordering_key: str | None = None,
    ) -> str:
        """Publish raw bytes to a topic, bypassing the codec (as a foreign producer would).

        For a malformed ("poison") payload, or attributes the codec would not set. To publish a
        model through the topic's codec, use ``broker.publish`` or a generated publisher.
        """
        self._require_active()
        payload = raw_bytes(data, "publish")
        return self._publish_wire(
            topic_path(self.broker.project_id, topic_name), payload, attributes, ordering_key
        )

    async def deliver(
        self,
        subscription: str,
        data: bytes | str,
        attributes: Mapping[str, str] | None = None,
        ordering_key: str | None = None,
    ) -> str:
        """Deliver raw bytes to one subscription only (by name, full path or alias).

        The message is not recorded as published: it did not go through a topic.
        """
        self._require_active()
        payload = raw_bytes(data, "deliver")
        subscriber = self._subscribers(subscription)[0]
        attrs = dict(attributes or {})
        check_message(subscriber.topic_path, payload, attrs, ordering_key or "", received=True)
        queue = self._queue(subscriber)
        if not queue.accepts(attrs):
            raise ValueError(
                f"subscription {subscription!r} has filter "
                f"{subscriber.options.filter_expression!r}, which these attributes do not "
                f"match ({attrs!r}): Pub/Sub would never deliver this message there"
            )
        message_id = str(next(self._ids))
        item = Pending(
            message_id,
            payload,
            attrs,
            ordering_key or None,
            datetime.now(UTC),
            short_name(subscriber.topic_path),
        )
        queue.offer(item)
        return message_id

    # -- waiting -----------------------------------------------------------------------------

    async def drain(
        self,
        timeout: float | None = 10.0,  # noqa: ASYNC109 - a test's budget, as the API users know
        *,
        raise_errors: bool | None = None,
    ) -> None:
        """Deliver until every subscription is idle: no message waiting or being handled.

        Redeliveries, dead-lettering and the messages handlers publish are delivered too.
        Raises ``TimeoutError`` naming the busy subscriptions after ``timeout`` seconds (a
        handler that never returns, or handlers that keep publishing to each other). With
        ``raise_errors`` (default: the constructor's), re-raises the first exception a handler
        raised, or the first ``DecodeError``, since the last such check.
        """
        self._require_active()
        await asyncio.sleep(0)  # let tasks the test just created publish
        try:
            async with asyncio.timeout(timeout):
                while self._work:
                    await self._idle.wait()
        except TimeoutError:
            raise TimeoutError(
                f"TestBroker.drain: still busy after {timeout} s: " + "; ".join(self._busy())
            ) from None
        if self.raise_errors if raise_errors is None else raise_errors:
            self._raise_first_error()

    def _raise_first_error(self) -> None:
        checked, self._reported = self._reported, len(self._deliveries)
        for delivery in self._deliveries[checked:]:
            exc = delivery.exception
            if exc is not None and not isinstance(exc, Retry | Drop):  # those are decisions
                what = "handler" if delivery.handled else "decoding the payload for the handler"
                exc.add_note(
                    f"(raised by the {what} of subscription {delivery.subscription!r} on "
                    f"message {delivery.message.id}, attempt {delivery.attempt}; re-raised by "
                    "TestBroker.drain)"
                )
                raise exc

    # -- records -----------------------------------------------------------------------------

    def published(self, topic_name: str | None = None) -> list[PublishedMessage]:
        """Messages published to ``topic_name`` (name or full path), or to any topic.

        A topic nobody subscribes to is no error: its messages are recorded all the same.
        Dead-lettered messages appear under their dead-letter topic.
        """
        if topic_name is None:
            return list(self._published)
        path = topic_path(self.broker.project_id, topic_name)
        return [m for m in self._published if m.topic_path == path]

    def deliveries(self, subscription: str | None = None) -> list[Delivery]:
        """Every delivery attempt, in the order they ended, to one subscription or to all.

        ``subscription`` is a subscription name, its full path or a subscriber's alias;
        ``KeyError`` when no subscriber has it.
        """
        if subscription is None:
            return list(self._deliveries)
        paths = {s.subscription_path for s in self._subscribers(subscription)}
        return [d for d in self._deliveries if d.subscription_path in paths]

    def acked(self, subscription: str | None = None) -> list[Delivery]:
        """Deliveries whose handler returned."""
        return [d for d in self.deliveries(subscription) if d.outcome == "acked"]

    def nacked(self, subscription: str | None = None) -> list[Delivery]:
        """Deliveries that were nacked: every failed attempt, whatever followed."""
        return [d for d in self.deliveries(subscription) if d.failed]

    def dead_lettered(self, name: str | None = None) -> list[Delivery]:
        """Last deliveries of messages forwarded to a dead-letter topic.

        ``name``: a subscription (name, path or alias) whose messages were dead-lettered, or a
        dead-letter topic. The forwarded messages themselves, with the attributes Pub/Sub adds,
        are in ``published(dead_letter_topic)``.
        """
        records = [d for d in self._deliveries if d.outcome == "dead_lettered"]
        if name is None:
            return records
        dead_letter_paths = {
            topic_path(self.broker.project_id, s.options.dead_letter_topic)
            for s in _all_subscribers(self.broker)
            if s.options.dead_letter_topic
        }
        wanted = topic_path(self.broker.project_id, name)
        if wanted in dead_letter_paths:
            return [d for d in records if d.dead_letter_topic == short_name(wanted)]
        paths = {s.subscription_path for s in self._subscribers(name)}
        return [d for d in records if d.subscription_path in paths]

    def reset(self) -> None:
        """Forget what was recorded (messages still queued keep being delivered)."""
        self._published.clear()
        self._deliveries.clear()
        self._reported = 0

    def _subscribers(self, name: str) -> list[AnySubscriber]:
        subscribers = _all_subscribers(self.broker)
        by_alias = [s for s in subscribers if s.alias == name]
        if by_alias:
            return by_alias
        path = subscription_path(self.broker.project_id, name)
        found = [s for s in subscribers if s.subscription_path == path]
        if not found:
            known = sorted({short_name(s.subscription_path) for s in subscribers})
            raise KeyError(
                f"no subscriber on subscription {name!r}; the broker's subscriptions: "
                f"{', '.join(known) or 'none'} (a subscription name, path or alias is accepted)"
            )
        return found
