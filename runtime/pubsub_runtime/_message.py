"""``Message``: what a handler receives for one delivery of a Pub/Sub message.

Built once per received message, so it is a plain slotted class that keeps the protobuf it came
from: the timestamp is read and converted to a ``datetime`` only when ``publish_time`` is read,
the attributes map copied to a ``dict`` only when ``attributes`` is read (most handlers never
do; measured -8% CPU per message), the ordering key and delivery attempt read when asked for
(each protobuf field read makes a new object).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

if TYPE_CHECKING:
    from pubsub_runtime._ack_errors import AckResult

__all__ = ["Message", "PayloadT"]

PayloadT = TypeVar("PayloadT")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_UNREAD: Any = object()  # a field of a received message not read from its protobuf yet


class _Settler(Protocol):
    """The subscriber that delivered a message: acks it on request."""

    async def ack_now(self, message: Message[Any], /) -> AckResult: ...


class Message(Generic[PayloadT]):
    """One delivery of a Pub/Sub message.

    ``payload`` holds the decoded model when the subscriber's topic is registered with the
    broker (``PubSubBroker(topics=...)``), else ``None``. ``delivery_attempt`` is only known
    when the subscription has a dead-letter policy (Pub/Sub sends it then), else ``None``.
    ``ordering_key`` is ``None`` for a message published without one.
    """

    __slots__ = (
        "_ack_id",
        "_attributes",
        "_delivery_attempt",
        "_ordering_key",
        "_pb",
        "_publish_time",
        "_received",
        "_settler",
        "data",
        "id",
        "payload",
    )

    id: str
    data: bytes
    payload: PayloadT
    _publish_time: Any  # a datetime, or None: read from _pb (if any) on first access
    _attributes: Any  # a dict, or None: copied from _pb's map on first access
    _ordering_key: Any  # str | None, or _UNREAD: read from _pb on first access
    _delivery_attempt: Any  # int | None, or _UNREAD: read from _received on first access
    _pb: Any  # the raw PubsubMessage protobuf of a received message, else None
    _received: Any  # the raw ReceivedMessage protobuf around _pb, else None
    _ack_id: str | None
    _settler: _Settler | None

    def __init__(
        self,
        id: str,
        data: bytes,
        attributes: dict[str, str] | None = None,
        ordering_key: str | None = None,
        publish_time: datetime | None = None,
        delivery_attempt: int | None = None,
        payload: PayloadT = None,  # type: ignore[assignment]
    ) -> None:
        self.id = id
        self.data = data
        self.attributes = {} if attributes is None else attributes
        self.ordering_key = ordering_key or None
        self._publish_time = publish_time
        self.delivery_attempt = delivery_attempt
        self.payload = payload
        self._ack_id = None
        self._settler = None
        self._pb = None
        self._received = None

    @classmethod
    def _from_pb(
        cls, received: Any, ack_id: str | None = None, settler: _Settler | None = None
    ) -> Message[Any]:
        """Build from a raw ``google.pubsub.v1.ReceivedMessage`` protobuf (the hot path).

        ``ack_id``: the received message's, when the caller has read it already.
        """
        pb = received.message
        message: Message[Any] = cls.__new__(cls)
        message.id = pb.message_id
        message.data = pb.data
        message._pb = pb  # the rest is read from it when asked for
        message._received = received
        message._attributes = None
        message._ordering_key = _UNREAD
        message._publish_time = None
        message._delivery_attempt = _UNREAD
        message.payload = None
        message._ack_id = received.ack_id if ack_id is None else ack_id
        message._settler = settler
        return message

    def _raw_attributes(self) -> Mapping[str, str]:
        """The attributes without copying them: the protobuf map of a received message."""
        value = self._attributes
        if value is None:
            return self._pb.attributes  # type: ignore[no-any-return]
        return value  # type: ignore[no-any-return]

    async def ack(self) -> AckResult:
        """Ack now, while the handler runs, and return Pub/Sub's answer (an ``AckResult``).

        For side effects that must happen once: on an exactly-once subscription
        ``AckResult.SUCCESS`` means Pub/Sub will not deliver the message again, anything else
        that it will (the lease had ended: ``INVALID_ACK_ID``). On other subscriptions
        ``SUCCESS`` means the Acknowledge call succeeded. The handler's result no longer acks
        or nacks the message afterwards. Optional: returning acks as usual.
        """
        settler = self._settler
        if settler is None:
            raise RuntimeError(
                f"message {self.id} was not delivered by a pull subscriber: message.ack() works "
                "in the handlers of @broker.subscriber (and under the TestBroker)"
            )
        return await settler.ack_now(self)

    @property
    def attributes(self) -> dict[str, str]:
        """The message's attributes (a dict of the message's own: changes stay local)."""
        value = self._attributes
        if value is None:
            value = self._attributes = dict(self._pb.attributes)
        return value  # type: ignore[no-any-return]

    @attributes.setter
    def attributes(self, value: dict[str, str]) -> None:
        self._attributes = value

    @property
    def ordering_key(self) -> str | None:
        """The message's ordering key; ``None`` when published without one."""
        value = self._ordering_key
        if value is _UNREAD:
            value = self._ordering_key = self._pb.ordering_key or None
        return value  # type: ignore[no-any-return]

    @ordering_key.setter
    def ordering_key(self, value: str | None) -> None:
        self._ordering_key = value or None

    @property
    def delivery_attempt(self) -> int | None:
        """Which delivery this is (1 the first), when the subscription has a dead-letter policy."""
        value = self._delivery_attempt
        if value is _UNREAD:
            value = self._delivery_attempt = self._received.delivery_attempt or None
        return value  # type: ignore[no-any-return]

    @delivery_attempt.setter
    def delivery_attempt(self, value: int | None) -> None:
        self._delivery_attempt = value

    @property
    def publish_time(self) -> datetime:
        """When Pub/Sub accepted the message (UTC); the epoch when unknown."""
        value = self._publish_time
        if value is not None:
            return value  # type: ignore[no-any-return]
        pb = self._pb
        if pb is None:
            return _EPOCH
        converted: datetime = pb.publish_time.ToDatetime(tzinfo=UTC)
        self._publish_time = converted
        return converted

    @property
    def size(self) -> int:
        """Size of ``data`` in bytes."""
        return len(self.data)

    def __repr__(self) -> str:
        return (
            f"Message(id={self.id!r}, data={self.data[:64]!r}, attributes={self.attributes!r}, "
            f"ordering_key={self.ordering_key!r}, delivery_attempt={self.delivery_attempt!r})"
        )
