"""Reading push requests: the wrapped JSON envelope and the unwrapped body with headers."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from pubsub_runtime._push.envelope import MalformedPush, parse_push


def wrapped(**message: Any) -> bytes:
    return json.dumps({"message": message, "subscription": "projects/p/subscriptions/s"}).encode()


def test_the_wrapped_envelope_gives_every_field() -> None:
    body = json.dumps(
        {
            "message": {
                "data": base64.b64encode(b"\x00payload").decode(),
                "attributes": {"k": "v"},
                "messageId": "7",
                "message_id": "7",
                "publishTime": "2026-05-01T10:00:00.5Z",
                "orderingKey": "key",
            },
            "subscription": "projects/p/subscriptions/s",
            "deliveryAttempt": 4,
        }
    ).encode()

    message, subscription = parse_push(body, {})

    assert subscription == "projects/p/subscriptions/s"
    assert (message.id, message.data, message.attributes) == ("7", b"\x00payload", {"k": "v"})
    assert (message.ordering_key, message.delivery_attempt) == ("key", 4)
    assert message.publish_time == datetime(2026, 5, 1, 10, 0, 0, 500000, tzinfo=UTC)


def test_snake_case_spellings_and_missing_optional_fields_are_accepted() -> None:
    message, _ = parse_push(wrapped(message_id="8", publish_time="2026-05-01T10:00:00Z"), {})

    assert (message.id, message.data, message.attributes) == ("8", b"", {})
    assert (message.ordering_key, message.delivery_attempt) == (None, None)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"\xff", "not JSON"),
        (b"[]", "no 'message' object"),
        (wrapped(data="AA=="), "no messageId"),
        (wrapped(messageId="1", data="%%%"), "not valid base64"),
        (wrapped(messageId="1", attributes={"n": 1}), "not an object of strings"),
        (wrapped(messageId="1", publishTime="yesterday"), "not an RFC 3339 timestamp"),
    ],
)
def test_what_is_not_an_envelope_is_malformed(body: bytes, problem: str) -> None:
    with pytest.raises(MalformedPush, match=problem):
        parse_push(body, {})


def test_metadata_headers_mean_an_unwrapped_request() -> None:
    headers = {
        "x-goog-pubsub-message-id": "9",
        "x-goog-pubsub-publish-time": "2026-05-01T10:00:00Z",
        "x-goog-pubsub-subscription-name": "projects/p/subscriptions/raw",
        "x-goog-pubsub-delivery-attempt": "2",
        "host": "service",
        "user-agent": "Java/17",
        "content-type": "application/x-www-form-urlencoded",
        "x-forwarded-for": "10.0.0.1",
        "tenant": "acme",
        "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    }

    message, subscription = parse_push(b'{"raw": true}', headers)

    assert subscription == "projects/p/subscriptions/raw"
    assert (message.id, message.data, message.delivery_attempt) == ("9", b'{"raw": true}', 2)
    assert message.attributes == {
        "tenant": "acme",
        "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    }


def test_an_unwrapped_subscription_without_metadata_reads_the_body_as_data() -> None:
    message, subscription = parse_push(b"raw bytes", {"host": "service"}, unwrapped=True)

    assert (message.id, message.data, message.attributes, subscription) == (
        "",
        b"raw bytes",
        {},
        None,
    )
