"""Poison messages: payloads that do not decode, and their copies in the dead-letter topic.

With ``on_decode_error="dead_letter"`` the subscriber publishes the message as it arrived (same
bytes, same attributes) to the subscription's dead-letter topic, adds attributes saying why and
where it came from, and only then acks it; when that publish fails the message is nacked, so
nothing is lost. Pub/Sub reserves attribute keys starting with ``goog`` (it sets
``googclient_schema*`` on schema-bound topics), so those are kept under a ``pubsub-source-``
prefix.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final

from pubsub_runtime._attributes import MAX_VALUE_BYTES, RESERVED_PREFIX
from pubsub_runtime._message import Message

__all__ = [
    "DECODE_ERROR_ATTRIBUTE",
    "SOURCE_MESSAGE_ID_ATTRIBUTE",
    "SOURCE_PREFIX",
    "SOURCE_SUBSCRIPTION_ATTRIBUTE",
    "SOURCE_TOPIC_ATTRIBUTE",
    "PublishFunction",
    "dead_letter_attributes",
    "decode_reason",
]

DECODE_ERROR_ATTRIBUTE: Final = "pubsub-decode-error"
SOURCE_SUBSCRIPTION_ATTRIBUTE: Final = "pubsub-source-subscription"
SOURCE_TOPIC_ATTRIBUTE: Final = "pubsub-source-topic"
SOURCE_MESSAGE_ID_ATTRIBUTE: Final = "pubsub-source-message-id"
DELIVERY_ATTEMPT_ATTRIBUTE: Final = "pubsub-delivery-attempt"
SOURCE_PREFIX: Final = "pubsub-source-"  # what the keys Pub/Sub reserves are kept under

# (topic path, data, attributes, ordering key) -> message id: the broker's batched publish.
PublishFunction = Callable[[str, bytes, Mapping[str, str] | None, str | None], Awaitable[str]]


def decode_reason(exc: BaseException) -> str:
    """The one-line reason of a decode failure (``DecodeError.reason``, else the message)."""
    reason = getattr(exc, "reason", None) or str(exc) or type(exc).__name__
    return " ".join(str(reason).split())


def dead_letter_attributes(
    message: Message[Any], reason: str, *, subscription: str, topic: str
) -> dict[str, str]:
    """The original attributes plus why and where from, within Pub/Sub's attribute limits."""
    attributes = {
        (SOURCE_PREFIX + key if key.startswith(RESERVED_PREFIX) else key): value
        for key, value in message.attributes.items()
    }
    attributes[DECODE_ERROR_ATTRIBUTE] = _truncate(reason)
    attributes[SOURCE_SUBSCRIPTION_ATTRIBUTE] = subscription
    attributes[SOURCE_TOPIC_ATTRIBUTE] = topic
    attributes[SOURCE_MESSAGE_ID_ATTRIBUTE] = message.id
    if message.delivery_attempt:
        attributes[DELIVERY_ATTEMPT_ATTRIBUTE] = str(message.delivery_attempt)
    return attributes


def _truncate(text: str) -> str:
    encoded = text.encode()
    if len(encoded) <= MAX_VALUE_BYTES:
        return text
    return encoded[: MAX_VALUE_BYTES - 3].decode(errors="ignore") + "..."


def log_undecodable(
    kind: str, alias: str, subscription: str, message: Message[Any], reason: str, outcome: str
) -> None:
    """The one log line of a payload that does not decode, for pull and push subscribers."""
    logging.getLogger("pubsub_runtime").error(
        "%s %s: message %s on %s does not decode (%s); %s",
        kind,
        alias,
        message.id,
        subscription,
        reason,
        outcome,
        extra={
            "alias": alias,
            "message_id": message.id,
            "subscription": subscription,
            "delivery_attempt": message.delivery_attempt,
        },
    )
