"""Subscriber options (FastPubSub 0.9.8's keywords), resource paths, the TopicSpec protocol."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

__all__ = [
    "DecodeErrorPolicy",
    "SubscriberOptions",
    "TopicCodec",
    "project_of",
    "short_name",
    "subscription_path",
    "topic_path",
]

DecodeErrorPolicy = Literal["nack", "dead_letter"]
_DECODE_ERROR_POLICIES = ("nack", "dead_letter")


def topic_path(project_id: str, topic: str) -> str:
    """``projects/P/topics/T``; a name that already is a full path is kept."""
    return topic if topic.startswith("projects/") else f"projects/{project_id}/topics/{topic}"


def subscription_path(project_id: str, subscription: str) -> str:
    """``projects/P/subscriptions/S``; a name that already is a full path is kept."""
    if subscription.startswith("projects/"):
        return subscription
    return f"projects/{project_id}/subscriptions/{subscription}"


def short_name(resource: str) -> str:
    """``orders`` for ``orders`` or ``projects/p/topics/orders``."""
    return resource.rsplit("/", 1)[-1]


def project_of(resource: str) -> str:
    """``p`` for ``projects/p/subscriptions/s`` (or ``projects/p/topics/t``)."""
    return resource.removeprefix("projects/").partition("/")[0]


@dataclass(frozen=True, slots=True)
class SubscriberOptions:
    """How a subscription is created and consumed. Defaults follow FastPubSub 0.9.8.

    Beyond FastPubSub: ``streams`` (StreamingPull streams), ``timeout`` (seconds a handler may
    run before it is cancelled and its message nacked; None: no limit) and ``on_decode_error``
    (``"nack"``: Pub/Sub redelivers, then its dead-letter policy applies; ``"dead_letter"``:
    publish the message to ``dead_letter_topic`` at once, with the error, and ack it) and
    ``ack_batch_window`` (seconds an ack waits to share its Acknowledge call with others: longer
    costs fewer calls per message, shorter replays fewer handled messages after a crash).
    """

    autocreate: bool = True
    autoupdate: bool = False
    filter_expression: str | None = None
    dead_letter_topic: str | None = None
    max_delivery_attempts: int = 5
    ack_deadline_seconds: int = 60
    enable_message_ordering: bool = False
    enable_exactly_once_delivery: bool = False
    min_backoff_delay_secs: int = 10
    max_backoff_delay_secs: int = 600
    max_messages: int = 1000
    max_messages_bytes: int = 100 * 1024 * 1024
    streams: int = 1
    timeout: float | None = None
    on_decode_error: DecodeErrorPolicy = "nack"
    ack_batch_window: float = 0.25

    def __post_init__(self) -> None:
        problems = []
        if not 10 <= self.ack_deadline_seconds <= 600:
            problems.append("ack_deadline_seconds must be between 10 and 600")
        if self.dead_letter_topic and not 5 <= self.max_delivery_attempts <= 100:
            problems.append("max_delivery_attempts must be between 5 and 100")
        if not 0 <= self.min_backoff_delay_secs <= self.max_backoff_delay_secs <= 600:
            problems.append(
                "retry backoff needs 0 <= min_backoff_delay_secs <= max_backoff_delay_secs <= 600"
            )
        if self.max_messages < 1:
            problems.append("max_messages must be at least 1")
        if self.max_messages_bytes < 1:
            problems.append("max_messages_bytes must be at least 1")
        if self.streams < 1:
            problems.append("streams must be at least 1")
        if self.timeout is not None and not self.timeout > 0:
            problems.append("timeout must be a number of seconds > 0, or None")
        if not 0 <= self.ack_batch_window <= 10:
            problems.append("ack_batch_window must be between 0 and 10 seconds")
        if self.on_decode_error not in _DECODE_ERROR_POLICIES:
            problems.append(
                f"on_decode_error must be 'nack' or 'dead_letter', got {self.on_decode_error!r}"
            )
        elif self.on_decode_error == "dead_letter" and not self.dead_letter_topic:
            problems.append("on_decode_error='dead_letter' needs a dead_letter_topic")
        if problems:
            raise ValueError("; ".join(problems))


class TopicCodec(Protocol):
    """What the broker uses of a ``TopicSpec``: its model and codec.

    ``decode`` is called with ``encoding`` only for messages carrying Pub/Sub's
    ``googclient_schemaencoding`` attribute (topics bound to a schema). A ``TopicSpec`` also
    gets the message's ``attributes`` (``_decode.decode``), which name the writer schema.
    """

    @property
    def name(self) -> str: ...

    @property
    def model(self) -> type[Any]: ...

    @property
    def attributes(self) -> Mapping[str, str]: ...

    def encode(self, value: Any, /) -> bytes: ...

    def decode(self, data: bytes, /, *, encoding: str | None = None) -> Any: ...
