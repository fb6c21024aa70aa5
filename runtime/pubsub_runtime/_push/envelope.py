"""Reading a Pub/Sub push request into a ``Message``: the wrapped and the unwrapped form.

Wrapped (the default): a JSON body ``{"message": {"data": base64, "attributes": {...},
"messageId", "publishTime", "orderingKey"}, "subscription": ..., "deliveryAttempt": n}``
(Pub/Sub also sends the snake_case spellings ``message_id`` and ``publish_time``).

Unwrapped (payload unwrapping, ``no_wrapper``): the body is the message data as published.
With ``write_metadata`` Pub/Sub adds ``x-goog-pubsub-message-id``, ``-publish-time``,
``-subscription-name``, ``-ordering-key`` (and ``-delivery-attempt``) headers, and one header per
attribute. HTTP makes header names case-insensitive (servers hand them over in lower case), and
some headers belong to the transport, so attributes read from headers are: every header except
the ``x-goog-``, ``x-forwarded-`` and hop-by-hop/transport ones listed in ``_TRANSPORT_HEADERS``,
with lower-case keys.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Final

from pubsub_runtime._message import Message

__all__ = ["MalformedPush", "is_unwrapped", "parse_push"]

METADATA_PREFIX: Final = "x-goog-pubsub-"
_TRANSPORT_HEADERS: Final = frozenset(
    {
        "accept",
        "accept-encoding",
        "accept-language",
        "authorization",
        "connection",
        "content-encoding",
        "content-length",
        "content-type",
        "expect",
        "forwarded",
        "from",
        "host",
        "keep-alive",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "user-agent",
        "via",
        "x-cloud-trace-context",
        "x-real-ip",
    }
)
_TRANSPORT_PREFIXES: Final = ("x-goog-", "x-forwarded-", "x-envoy-", "x-appengine-")


class MalformedPush(ValueError):
    """A request that is not a Pub/Sub push delivery (answered 400)."""


def is_unwrapped(headers: Mapping[str, str]) -> bool:
    """True when Pub/Sub's metadata headers are present (payload unwrapping)."""
    return METADATA_PREFIX + "message-id" in headers


def parse_push(
    body: bytes, headers: Mapping[str, str], *, unwrapped: bool = False
) -> tuple[Message[Any], str | None]:
    """The message of a push request and the subscription it names (``None`` if it does not).

    ``unwrapped``: read the body as raw data even without metadata headers (a subscription
    with payload unwrapping and no ``write_metadata``).
    """
    if unwrapped or is_unwrapped(headers):
        return _parse_unwrapped(body, headers)
    return _parse_wrapped(body)


def _parse_wrapped(body: bytes) -> tuple[Message[Any], str | None]:
    try:
        envelope = json.loads(body)
    except ValueError as exc:
        raise MalformedPush(f"the body is not JSON ({exc})") from exc
    if not isinstance(envelope, dict) or not isinstance(envelope.get("message"), dict):
        raise MalformedPush("the body has no 'message' object: not a Pub/Sub push envelope")
    fields: dict[str, Any] = envelope["message"]
    message_id = _text(fields, "messageId", "message_id")
    if not message_id:
        raise MalformedPush("the message has no messageId")
    encoded = fields.get("data") or ""
    if not isinstance(encoded, str):
        raise MalformedPush("message.data is not a base64 string")
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MalformedPush(f"message.data is not valid base64 ({exc})") from exc
    attributes = fields.get("attributes") or {}
    if not isinstance(attributes, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in attributes.items()
    ):
        raise MalformedPush("message.attributes is not an object of strings")
    attempt = envelope.get("deliveryAttempt", envelope.get("delivery_attempt"))
    subscription = envelope.get("subscription")
    message: Message[Any] = Message(
        id=message_id,
        data=data,
        attributes=attributes,
        ordering_key=_text(fields, "orderingKey", "ordering_key"),
        publish_time=_timestamp(_text(fields, "publishTime", "publish_time")),
        delivery_attempt=_attempt(attempt),
    )
    return message, subscription if isinstance(subscription, str) else None


def _parse_unwrapped(body: bytes, headers: Mapping[str, str]) -> tuple[Message[Any], str | None]:
    def metadata(name: str) -> str | None:
        return headers.get(METADATA_PREFIX + name) or None

    message: Message[Any] = Message(
        id=metadata("message-id") or "",
        data=body,
        attributes=_attributes_of(headers.items()),
        ordering_key=metadata("ordering-key"),
        publish_time=_timestamp(metadata("publish-time")),
        delivery_attempt=_attempt(metadata("delivery-attempt")),
    )
    return message, metadata("subscription-name")


def _attributes_of(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    attributes = {}
    for name, value in headers:
        key = name.lower()
        if key in _TRANSPORT_HEADERS or key.startswith(_TRANSPORT_PREFIXES):
            continue
        attributes[key] = value
    return attributes


def _text(fields: Mapping[str, Any], *names: str) -> str | None:
    for name in names:
        value = fields.get(name)
        if isinstance(value, str) and value:
            return value
    return None


def _timestamp(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError as exc:
        raise MalformedPush(f"publish time {value!r} is not an RFC 3339 timestamp") from exc


def _attempt(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        attempt = int(value)
    except (TypeError, ValueError) as exc:
        raise MalformedPush(f"delivery attempt {value!r} is not a number") from exc
    return attempt or None
