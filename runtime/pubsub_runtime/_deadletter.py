"""Dead-letter tooling: look into a dead-letter subscription, send its messages back, empty it.

Pub/Sub has no redrive: a message dead-lettered after ``max_delivery_attempts`` (it carries
``CloudPubSubDeadLetterSource*`` attributes) or by the runtime's ``on_decode_error="dead_letter"``
(``pubsub-source-*`` and ``pubsub-decode-error``) stays in the dead-letter topic's subscription.
These functions read such a subscription with synchronous Pull and keep what they pulled leased
while they work, so nothing is acked that was not meant to be:

- ``peek_dead_letters`` decodes messages with their source topic's model and acks nothing;
- ``replay_dead_letters`` republishes each message to its source topic (its data, its own
  attributes, its ordering key, plus ``pubsub-replay-count``) and acks it only after that
  publish succeeded; the first failing publish stops the replay and leaves the rest in place;
- ``purge_dead_letters`` acks everything.

The source topic is ``to`` when given, else the ``pubsub-source-topic`` attribute, else the topic
of the subscription named by ``CloudPubSubDeadLetterSourceSubscription``: the app's subscriber of
that name, or Pub/Sub's own record of the subscription.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from google.api_core.exceptions import GoogleAPICallError, NotFound, RetryError
from google.pubsub_v1 import PubsubMessage

from pubsub_runtime._attributes import (
    DEAD_LETTER_PREFIX,
    DEAD_LETTER_SOURCE_DELIVERY_COUNT,
    DEAD_LETTER_SOURCE_PROJECT,
    DEAD_LETTER_SOURCE_SUBSCRIPTION,
    RESERVED_PREFIX,
    SCHEMA_ENCODING_ATTRIBUTE,
)
from pubsub_runtime._config import TopicCodec, short_name, subscription_path, topic_path
from pubsub_runtime._filter import compile_filter
from pubsub_runtime._poison import (
    DECODE_ERROR_ATTRIBUTE,
    DELIVERY_ATTEMPT_ATTRIBUTE,
    SOURCE_MESSAGE_ID_ATTRIBUTE,
    SOURCE_PREFIX,
    SOURCE_SUBSCRIPTION_ATTRIBUTE,
    SOURCE_TOPIC_ATTRIBUTE,
)
from pubsub_runtime._push.registry import push_registry
from pubsub_runtime._transport import close_client, new_publisher_client, new_subscriber_client

if TYPE_CHECKING:
    from google.pubsub_v1 import PublisherAsyncClient, ReceivedMessage, SubscriberAsyncClient

    from pubsub_runtime._broker import PubSubBroker
    from pubsub_runtime._push.subscriber import PushSubscriber
    from pubsub_runtime._subscriber import Subscriber

__all__ = [
    "DEFAULT_MAX_REPLAYS",
    "REPLAY_COUNT_ATTRIBUTE",
    "DeadLetter",
    "DeadLetterRoute",
    "ReplayReport",
    "count_dead_letters",
    "dead_letter_routes",
    "parse_rate",
    "peek_dead_letters",
    "purge_dead_letters",
    "replay_dead_letters",
]

REPLAY_COUNT_ATTRIBUTE: Final = "pubsub-replay-count"
DEFAULT_MAX_REPLAYS: Final = 3
_RUNTIME_ATTRIBUTES: Final = frozenset(
    {
        DECODE_ERROR_ATTRIBUTE,
        DELIVERY_ATTEMPT_ATTRIBUTE,
        SOURCE_MESSAGE_ID_ATTRIBUTE,
        SOURCE_SUBSCRIPTION_ATTRIBUTE,
        SOURCE_TOPIC_ATTRIBUTE,
    }
)
_RENAMED_RESERVED: Final = SOURCE_PREFIX + RESERVED_PREFIX  # the poison path's ``goog*`` keys
_LEASE_SECONDS: Final = 600  # what is pulled stays ours until released, acked or this passes
_BATCH: Final = 100
_MAX_REQUEST_BYTES: Final = 8 * 1024 * 1024  # Pub/Sub refuses Publish requests over 10 MB
_RPC_TIMEOUT: Final = 30.0
_RATE: Final = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:/\s*s)?\s*$")


@dataclass(frozen=True)
class DeadLetterRoute:
    """A subscriber of the app with a dead-letter topic, and where its dead letters are read.

    ``dead_letter_subscription`` is the subscription that ``autocreate`` makes on the
    dead-letter topic (same name as the topic).
    """

    alias: str
    subscription: str
    topic: str
    dead_letter_topic: str
    dead_letter_subscription: str
    max_delivery_attempts: int


@dataclass(frozen=True)
class DeadLetter:
    """One message of a dead-letter subscription, as ``peek_dead_letters`` shows it.

    ``payload`` is the source topic's model when the topic is registered with the broker and
    the data decodes (else ``None``, and ``decode_error`` says why when decoding was tried).
    ``delivery_attempts``: how often the source subscription delivered it before giving up.
    """

    message_id: str
    data: bytes
    attributes: Mapping[str, str]
    ordering_key: str | None
    publish_time: datetime | None
    reason: str
    source_subscription: str | None
    source_topic: str | None
    delivery_attempts: int | None
    replay_count: int
    payload: Any = None
    decode_error: str | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict: the payload as the model's JSON, else the data as text or base64."""
        body: dict[str, Any] = {
            "message_id": self.message_id,
            "source_topic": self.source_topic,
            "source_subscription": self.source_subscription,
            "reason": self.reason,
            "delivery_attempts": self.delivery_attempts,
            "replay_count": self.replay_count,
            "publish_time": None if self.publish_time is None else self.publish_time.isoformat(),
            "ordering_key": self.ordering_key,
            "attributes": dict(sorted(self.attributes.items())),
        }
        if self.payload is not None:
            body["payload"] = self.payload.model_dump(mode="json", by_alias=True)
        else:
            body["decode_error"] = self.decode_error
            try:
                body["data"] = self.data.decode()
            except UnicodeDecodeError:
                body["data_base64"] = base64.b64encode(self.data).decode()
        return body


@dataclass(frozen=True)
class ReplayedMessage:
    message_id: str
    topic: str
    new_message_id: str | None  # None in a dry run


@dataclass(frozen=True)
class RefusedMessage:
    message_id: str
    reason: str


@dataclass
class ReplayReport:
    """What ``replay_dead_letters`` did. ``error`` is set when a publish failed and stopped it:
    that message and every one not yet replayed are still in the dead-letter subscription."""

    dry_run: bool
    replayed: list[ReplayedMessage] = field(default_factory=list)
    refused: list[RefusedMessage] = field(default_factory=list)
    skipped: int = 0  # not matched by the filter; left in place
    error: str | None = None


# -- the app's configuration -----------------------------------------------------------------


def app_subscribers(broker: PubSubBroker) -> list[Subscriber | PushSubscriber]:
    return [*broker.subscribers, *push_registry(broker).subscribers]


def dead_letter_routes(broker: PubSubBroker) -> list[DeadLetterRoute]:
    """The broker's subscribers (pull and push) that have a dead-letter topic."""
    routes = []
    for s in app_subscribers(broker):
        dead_letter_topic = s.options.dead_letter_topic
        if not dead_letter_topic:
            continue
        routes.append(
            DeadLetterRoute(
                alias=s.alias,
                subscription=short_name(s.subscription_name),
                topic=short_name(s.topic_name),
                dead_letter_topic=short_name(dead_letter_topic),
                dead_letter_subscription=short_name(dead_letter_topic),
                max_delivery_attempts=s.options.max_delivery_attempts,
            )
        )
    return routes


def parse_rate(text: str) -> float:
    """``"10/s"`` or ``"10"`` -> 10.0 messages per second; ValueError otherwise."""
    match = _RATE.match(text)
    rate = float(match.group(1)) if match else 0.0
    if rate <= 0:
        raise ValueError(f"a rate is a positive number of messages per second, like 10/s: {text!r}")
    return rate


# -- reading a subscription without settling what is read ------------------------------------


class _Lease:
    """Messages pulled from one subscription and held until acked or released.

    Pulled messages get a long ack deadline at once, so that a slow replay does not see them
    again; ``release`` (deadline 0) hands back whatever was not acked, also on errors.
    """

    def __init__(self, client: SubscriberAsyncClient, subscription: str) -> None:
        self.client = client
        self.subscription = subscription
        self._held: dict[str, str] = {}  # message id -> ack id

    async def pull(self, max_messages: int) -> list[ReceivedMessage]:
        response = await self.client.pull(
            subscription=self.subscription,
            max_messages=max_messages,
            return_immediately=True,  # an empty subscription answers at once
            timeout=_RPC_TIMEOUT,
        )
        fresh = [r for r in response.received_messages if r.message.message_id not in self._held]
        ack_ids = [r.ack_id for r in response.received_messages]
        if ack_ids:
            await self.client.modify_ack_deadline(
                subscription=self.subscription,
                ack_ids=ack_ids,
                ack_deadline_seconds=_LEASE_SECONDS,
                timeout=_RPC_TIMEOUT,
            )
        for received in response.received_messages:
            self._held[received.message.message_id] = received.ack_id
        return fresh

    async def ack(self, messages: Sequence[ReceivedMessage]) -> None:
        if not messages:
            return
        await self.client.acknowledge(
            subscription=self.subscription,
            ack_ids=[m.ack_id for m in messages],
            timeout=_RPC_TIMEOUT,
        )
        for received in messages:
            self._held.pop(received.message.message_id, None)

    async def release(self) -> None:
        ack_ids = list(self._held.values())
        self._held.clear()
        for start in range(0, len(ack_ids), 1000):
            with contextlib.suppress(GoogleAPICallError):  # a lost lease ends by itself
                await self.client.modify_ack_deadline(
                    subscription=self.subscription,
                    ack_ids=ack_ids[start : start + 1000],
                    ack_deadline_seconds=0,
                    timeout=_RPC_TIMEOUT,
                )


@contextlib.asynccontextmanager
async def _leased(broker: PubSubBroker, subscription: str) -> Any:
    client = new_subscriber_client(broker._settings)
    lease = _Lease(client, subscription_path(broker.project_id, subscription))
    try:
        yield lease
    finally:
        try:
            await lease.release()
        finally:
            await close_client(client)


# -- one dead letter -------------------------------------------------------------------------


def _replay_count(attributes: Mapping[str, str]) -> int:
    try:
        return max(int(attributes.get(REPLAY_COUNT_ATTRIBUTE, "0")), 0)
    except ValueError:
        return 0


def _delivery_attempts(attributes: Mapping[str, str]) -> int | None:
    for key in (DEAD_LETTER_SOURCE_DELIVERY_COUNT, DELIVERY_ATTEMPT_ATTRIBUTE):
        value = attributes.get(key)
        if value and value.isdigit():
            return int(value)
    return None


def _source_subscription(attributes: Mapping[str, str], project_id: str) -> str | None:
    ours = attributes.get(SOURCE_SUBSCRIPTION_ATTRIBUTE)
    if ours:
        return ours
    name = attributes.get(DEAD_LETTER_SOURCE_SUBSCRIPTION)
    if not name:
        return None
    return subscription_path(attributes.get(DEAD_LETTER_SOURCE_PROJECT) or project_id, name)


def _reason(attributes: Mapping[str, str], source: str | None) -> str:
    decode_error = attributes.get(DECODE_ERROR_ATTRIBUTE)
    if decode_error:
        return f"does not decode: {decode_error}"
    count = attributes.get(DEAD_LETTER_SOURCE_DELIVERY_COUNT)
    if count:
        where = short_name(source) if source else "its subscription"
        return f"not acknowledged after {count} delivery attempts on {where}"
    return "unknown (published to the dead-letter topic directly)"


def _republished_attributes(attributes: Mapping[str, str], replay_count: int) -> dict[str, str]:
    """The message's own attributes: what Pub/Sub and the runtime added on the way out removed."""
    kept = {
        key: value
        for key, value in attributes.items()
        if not key.startswith((DEAD_LETTER_PREFIX, RESERVED_PREFIX, _RENAMED_RESERVED))
        and key not in _RUNTIME_ATTRIBUTES
    }
    kept[REPLAY_COUNT_ATTRIBUTE] = str(replay_count + 1)
    return kept


class _Sources:
    """Finds a dead letter's source topic, asking Pub/Sub about subscriptions the app lacks."""

    def __init__(self, broker: PubSubBroker, client: SubscriberAsyncClient) -> None:
        self.broker = broker
        self.client = client
        self._topics: dict[str, str | None] = {}
        for s in app_subscribers(broker):
            self._topics[subscription_path(broker.project_id, s.subscription_name)] = topic_path(
                broker.project_id, s.topic_name
            )

    async def topic(self, attributes: Mapping[str, str]) -> str | None:
        ours = attributes.get(SOURCE_TOPIC_ATTRIBUTE)
        if ours:
            return ours
        subscription = _source_subscription(attributes, self.broker.project_id)
        if subscription is None:
            return None
        if subscription not in self._topics:
            try:
                resource = await self.client.get_subscription(
                    subscription=subscription, timeout=_RPC_TIMEOUT
                )
                found: str | None = resource.topic
            except NotFound:
                found = None
            # A subscription whose topic was deleted names "_deleted-topic_".
            self._topics[subscription] = found if found and "/topics/" in found else None
        return self._topics[subscription]

    def codec(self, topic: str | None) -> TopicCodec | None:
        if topic is None:
            return None
        return self.broker.topics.get(short_name(topic))


async def _dead_letter(received: ReceivedMessage, sources: _Sources) -> DeadLetter:
    pb = received.message
    attributes = dict(pb.attributes)
    project_id = sources.broker.project_id
    source_subscription = _source_subscription(attributes, project_id)
    source_topic = await sources.topic(attributes)
    payload, decode_error = None, None
    codec = sources.codec(source_topic)
    if codec is not None:
        encoding = attributes.get(SCHEMA_ENCODING_ATTRIBUTE) or attributes.get(
            SOURCE_PREFIX + SCHEMA_ENCODING_ATTRIBUTE
        )
        try:
            payload = codec.decode(pb.data, encoding=encoding)
        except Exception as exc:  # a dead letter may well not decode: show why, go on
            decode_error = " ".join(str(getattr(exc, "reason", None) or exc).split())
    publish_time = pb.publish_time
    return DeadLetter(
        message_id=pb.message_id,
        data=pb.data,
        attributes=attributes,
        ordering_key=pb.ordering_key or None,
        publish_time=publish_time if isinstance(publish_time, datetime) else None,
        reason=_reason(attributes, source_subscription),
        source_subscription=source_subscription and short_name(source_subscription),
        source_topic=source_topic and short_name(source_topic),
        delivery_attempts=_delivery_attempts(attributes),
        replay_count=_replay_count(attributes),
        payload=payload,
        decode_error=decode_error,
    )


# -- the operations --------------------------------------------------------------------------


async def peek_dead_letters(
    broker: PubSubBroker, subscription: str, *, limit: int = 10
) -> list[DeadLetter]:
    """Up to ``limit`` messages of ``subscription``, decoded; nothing is acked.

    The messages are leased while being read and released afterwards, so they are delivered
    again right away (a dead-letter subscription normally has no consumer to disturb).
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    async with _leased(broker, subscription) as lease:
        received = await _pull_up_to(lease, limit)
        sources = _Sources(broker, lease.client)
        return [await _dead_letter(r, sources) for r in received]


async def count_dead_letters(broker: PubSubBroker, subscription: str, *, cap: int = 1000) -> int:
    """How many messages ``subscription`` holds, counting at most ``cap``; nothing is acked."""
    async with _leased(broker, subscription) as lease:
        return len(await _pull_up_to(lease, cap))


async def _pull_up_to(lease: _Lease, limit: int) -> list[ReceivedMessage]:
    received: list[ReceivedMessage] = []
    while len(received) < limit:
        batch = await lease.pull(min(limit - len(received), 1000))
        if not batch:
            break
        received.extend(batch)
    return received


async def replay_dead_letters(
    broker: PubSubBroker,
    subscription: str,
    *,
    to: str | None = None,
    filter: str | None = None,
    rate: float | None = None,
    dry_run: bool = False,
    max_replays: int = DEFAULT_MAX_REPLAYS,
    limit: int | None = None,
    on_message: Callable[[ReplayedMessage | RefusedMessage], Any] | None = None,
) -> ReplayReport:
    """Republish the messages of dead-letter ``subscription`` to their source topics.

    ``to``: one topic for all instead. ``filter``: only messages whose attributes match this
    Pub/Sub filter expression (``attributes.k = "v"``, ``attributes:k``, ``hasPrefix(...)``,
    NOT/AND/OR), the rest stay. ``rate``: at most this many publishes per second.
    ``dry_run``: publish and ack nothing, report what would be done. A message already
    replayed ``max_replays`` times (its ``pubsub-replay-count``) is refused and stays, as does
    one whose source topic is unknown. Each message is acked only after its publish succeeded;
    a failed publish stops the replay (``ReplayReport.error``), leaving that message and every
    one not yet published. Messages of one ordering key are published in the order pulled.
    ``limit``: replay at most this many. ``on_message`` is called with each outcome.
    """
    if max_replays < 0:
        raise ValueError("max_replays must be 0 or more")
    matches = compile_filter(filter) if filter else None
    report = ReplayReport(dry_run=dry_run)
    target = None if to is None else topic_path(broker.project_id, to)

    def tell(outcome: ReplayedMessage | RefusedMessage) -> None:
        if on_message is not None:
            on_message(outcome)

    publisher = new_publisher_client(broker._settings)
    pace = _Pace(rate)
    # With a rate, publish in chunks a second's worth at most, so that pacing stays smooth.
    chunk = _BATCH if rate is None else max(1, min(_BATCH, int(rate)))
    try:
        async with _leased(broker, subscription) as lease:
            sources = _Sources(broker, lease.client)
            while limit is None or len(report.replayed) < limit:
                batch = await lease.pull(_BATCH)
                if not batch:
                    break
                wanted: list[_Outgoing] = []
                for received in batch:
                    if limit is not None and len(report.replayed) + len(wanted) >= limit:
                        break
                    attributes = received.message.attributes
                    if matches is not None and not matches(attributes):
                        report.skipped += 1
                        continue
                    count = _replay_count(attributes)
                    destination = target or await sources.topic(attributes)
                    refusal = None
                    if count >= max_replays:
                        refusal = f"already replayed {count} time(s) (limit {max_replays})"
                    elif destination is None:
                        refusal = "its source topic is unknown (use --to TOPIC)"
                    if refusal is not None:
                        report.refused.append(RefusedMessage(received.message.message_id, refusal))
                        tell(report.refused[-1])
                        continue
                    assert destination is not None
                    wanted.append(_Outgoing(received, destination, count))
                for start in range(0, len(wanted), chunk):
                    part = wanted[start : start + chunk]
                    sent: list[tuple[_Outgoing, str | None]]
                    if dry_run:
                        sent, failure = [(o, None) for o in part], None
                    else:
                        await pace.wait(len(part))
                        sent, failure = await _republish(publisher, part)
                        await lease.ack([o.received for o, _ in sent])
                    for outgoing, new_id in sent:
                        replayed = ReplayedMessage(outgoing.message_id, outgoing.topic, new_id)
                        report.replayed.append(replayed)
                        tell(replayed)
                    if failure is not None:
                        report.error = failure
                        return report
    finally:
        await close_client(publisher)
    return report


@dataclass(frozen=True)
class _Outgoing:
    received: ReceivedMessage
    topic: str
    replay_count: int

    @property
    def message_id(self) -> str:
        return str(self.received.message.message_id)

    def message(self) -> PubsubMessage:
        pb = self.received.message
        return PubsubMessage(
            data=pb.data,
            attributes=_republished_attributes(pb.attributes, self.replay_count),
            ordering_key=pb.ordering_key,
        )


async def _republish(
    publisher: PublisherAsyncClient, outgoing: Sequence[_Outgoing]
) -> tuple[list[tuple[_Outgoing, str | None]], str | None]:
    """Publish one Publish RPC per topic and ordering key (which keeps the key's order).

    Returns what was published, with the new message ids, and the first failure's text.
    """
    groups: dict[tuple[str, str], list[_Outgoing]] = {}
    for item in outgoing:
        key = (item.topic, item.received.message.ordering_key)
        groups.setdefault(key, []).append(item)
    requests = [part for items in groups.values() for part in _by_size(items)]

    async def send(items: list[_Outgoing]) -> list[str]:
        response = await publisher.publish(
            topic=items[0].topic, messages=[i.message() for i in items], timeout=_RPC_TIMEOUT
        )
        return [str(message_id) for message_id in response.message_ids]

    results = await asyncio.gather(*(send(items) for items in requests), return_exceptions=True)
    sent: list[tuple[_Outgoing, str | None]] = []
    failure = None
    for items, result in zip(requests, results, strict=True):
        if isinstance(result, BaseException):
            if not isinstance(result, GoogleAPICallError | RetryError):
                raise result
            if failure is None:
                reason = getattr(result, "message", None) or str(result)
                failure = (
                    f"publishing message {items[0].message_id} to {items[0].topic} failed: "
                    f"{reason}; it and the messages not yet replayed stay in the dead-letter "
                    "subscription"
                )
            continue
        sent.extend(zip(items, result, strict=True))
    return sent, failure


def _by_size(items: list[_Outgoing]) -> list[list[_Outgoing]]:
    """Split a group so that no Publish request nears Pub/Sub's 10 MB limit."""
    parts: list[list[_Outgoing]] = [[]]
    size = 0
    for item in items:
        item_size = len(item.received.message.data) + 1024
        if parts[-1] and size + item_size > _MAX_REQUEST_BYTES:
            parts.append([])
            size = 0
        parts[-1].append(item)
        size += item_size
    return parts


class _Pace:
    """At most ``rate`` messages a second pass ``wait`` (None: no limit)."""

    def __init__(self, rate: float | None) -> None:
        self.rate = rate
        self.next = 0.0

    async def wait(self, messages: int) -> None:
        if self.rate is None:
            return
        now = time.monotonic()
        if self.next > now:
            await asyncio.sleep(self.next - now)
        self.next = max(now, self.next) + messages / self.rate


async def purge_dead_letters(broker: PubSubBroker, subscription: str) -> int:
    """Ack every message of ``subscription``; returns how many were acked."""
    purged = 0
    async with _leased(broker, subscription) as lease:
        while batch := await lease.pull(1000):
            await lease.ack(batch)
            purged += len(batch)
    return purged
