"""What the in-memory broker records: each message published, each delivery and its outcome."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from pubsub_runtime._message import Message

__all__ = ["Delivery", "Outcome", "PublishedMessage"]

Outcome = Literal["acked", "dropped", "nacked", "dead_lettered", "abandoned"]


@dataclass(frozen=True, slots=True)
class PublishedMessage:
    """One message as it went on the (in-memory) wire to ``topic``.

    ``data`` and ``attributes`` are exactly what Pub/Sub would have received, codec attributes
    included. ``payload`` is ``data`` decoded with the topic's ``TopicSpec`` when the topic is
    registered with the broker and the bytes decode; otherwise ``None``, and ``decode_error``
    says why when decoding failed.
    """

    id: str
    topic: str
    data: bytes
    attributes: dict[str, str]
    ordering_key: str | None
    publish_time: datetime
    topic_path: str = field(repr=False)
    payload: Any = None
    decode_error: Exception | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class Delivery:
    """One delivery attempt of a message to a subscription, and how it ended.

    ``outcome``:

    - ``"acked"``: the handler returned;
    - ``"dropped"``: the handler raised (or returned) ``Drop``: acked without handling;
    - ``"nacked"``: the handler raised (or asked to ``Retry``, or ran past its ``timeout``),
      or the payload did not decode; the message is delivered again with ``attempt`` + 1;
    - ``"dead_lettered"``: it failed on attempt ``max_delivery_attempts`` of a subscription with
      a ``dead_letter_topic``, so Pub/Sub forwarded it there; or its payload did not decode and
      the subscriber has ``on_decode_error="dead_letter"``, so the runtime copied it there;
    - ``"abandoned"``: it failed and the subscription has no dead-letter topic, after the
      ``TestBroker``'s ``max_redeliveries``; Pub/Sub would keep redelivering it.

    ``nacked``, ``dead_lettered`` and ``abandoned`` are failures. ``exception`` is what the
    handler raised (a ``TimeoutError`` when it ran past ``timeout``), or the ``DecodeError`` of a
    payload that did not decode, in which case ``handled`` is False: the handler was not called.
    ``retry_delay`` is the redelivery delay a ``Retry`` asked for (not waited in memory).
    ``attempt`` counts from 1 on every subscription; ``message.delivery_attempt`` is only set
    when the subscription has a dead-letter topic, as with Pub/Sub.
    """

    subscription: str
    alias: str
    topic: str
    message: Message[Any]
    attempt: int
    outcome: Outcome
    exception: BaseException | None = None
    handled: bool = True
    dead_letter_topic: str | None = None
    retry_delay: int = 0
    subscription_path: str = field(default="", repr=False)

    @property
    def payload(self) -> Any:
        """The decoded model the handler received (``None`` for an unregistered topic)."""
        return self.message.payload

    @property
    def failed(self) -> bool:
        """True for a nack: the handler failed or the payload did not decode."""
        return self.outcome in ("nacked", "dead_lettered", "abandoned")
