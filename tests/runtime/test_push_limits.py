"""Push requests a hostile caller may send: bodies too large, and tokens that are refused.

A body over ``push_max_body_bytes`` is answered 413 without being read (the request's chunks
are counted as the app pulls them); a refused token gets a generic 401/403 body, and the
detail of what would have been accepted goes to the log only.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from apps.ops_common import JwksServer, Order, SigningKey, order_spec, push_claims, serving

from pubsub_runtime import FastPubSub, PubSubBroker
from pubsub_runtime._app import PUSH_MAX_BODY_BYTES
from pubsub_runtime._push.auth import PushAuth

TOPIC = "orders"
AUDIENCE = "https://orders.example.com/push/orders"
ACCOUNT = "pusher@project.iam.gserviceaccount.com"
MB = 1024 * 1024


def order_body(order_id: str = "o-1") -> bytes:
    data = order_spec(TOPIC).encode(Order(order_id=order_id, amount=3))
    message = {"data": base64.b64encode(data).decode(), "messageId": "101"}
    return json.dumps({"message": message, "subscription": "projects/p/subscriptions/s"}).encode()


class CountedBody:
    """A request body of ``chunks`` chunks of 1 MiB; ``pulled`` counts those the app read."""

    def __init__(self, chunks: int) -> None:
        self.chunks = chunks
        self.pulled = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(self.chunks):
            self.pulled += 1
            yield b"x" * MB


def app_with_push(auth: PushAuth | None = None, **app_options: Any) -> tuple[FastPubSub, list[Any]]:
    app_broker = PubSubBroker("test-project", topics={TOPIC: order_spec(TOPIC)})
    app = FastPubSub(app_broker, **app_options)
    received: list[Any] = []

    @app_broker.push_subscriber(
        "orders",
        topic_name=TOPIC,
        subscription_name="orders-push",
        path="/push/orders",
        verify_token=auth or False,
    )
    async def take(order: Order) -> None:
        received.append(order)

    return app, received


def test_the_default_limit_admits_the_largest_message_pub_sub_pushes() -> None:
    # 10 MB of data, base64 in the JSON envelope, with a full set of attributes.
    largest = 4 * -(-10_000_000 // 3) + 100 * (256 + 1024) + 4096
    assert largest < PUSH_MAX_BODY_BYTES < 20 * MB


async def test_a_declared_20_mb_body_is_refused_with_413_before_it_is_read(
    caplog: pytest.LogCaptureFixture,
) -> None:
    key = SigningKey("k1")
    body = CountedBody(20)
    with JwksServer([key]) as jwks:
        app, received = app_with_push(PushAuth(audience=AUDIENCE, certs_url=jwks.url))
        token = "Bearer " + key.sign(push_claims(AUDIENCE, ACCOUNT))
        async with serving(app) as client:
            response = await client.post(
                "/push/orders",
                content=body,
                headers={"Authorization": token, "Content-Length": str(20 * MB)},
            )
            accepted = await client.post(
                "/push/orders", content=order_body(), headers={"Authorization": token}
            )

    assert response.status_code == 413
    assert body.pulled == 0  # the app never asked for a byte of it
    assert accepted.status_code == 204  # the limit does not refuse ordinary requests
    assert received == [Order(order_id="o-1", amount=3)]
    assert "body is over" in caplog.text


async def test_a_body_without_a_length_is_refused_once_it_passes_the_limit() -> None:
    app, received = app_with_push(push_max_body_bytes=3 * MB)
    body = CountedBody(20)
    async with serving(app) as client:
        response = await client.post("/push/orders", content=body)  # chunked: no length

    assert response.status_code == 413
    assert body.pulled <= 4  # stopped reading right after the limit, not at 20 MiB
    assert received == []


async def test_the_limit_is_configurable() -> None:
    app, received = app_with_push(push_max_body_bytes=64)
    async with serving(app) as client:
        refused = await client.post("/push/orders", content=order_body() + b" " * 64)

    assert refused.status_code == 413
    assert received == []
    with pytest.raises(ValueError, match="must be positive"):
        FastPubSub(PubSubBroker("p"), push_max_body_bytes=0)


@pytest.mark.parametrize(
    ("claims", "status", "body"),
    [
        (push_claims(AUDIENCE, "intruder@evil.example"), 403, "forbidden"),
        (push_claims("https://elsewhere.example", ACCOUNT), 401, "unauthorized"),
        (push_claims(AUDIENCE, ACCOUNT, iss="https://evil.example"), 401, "unauthorized"),
    ],
)
async def test_a_refused_token_gets_a_generic_answer_and_the_detail_is_logged(
    claims: dict[str, Any], status: int, body: str, caplog: pytest.LogCaptureFixture
) -> None:
    key = SigningKey("k1")
    auth = PushAuth(audience=AUDIENCE, service_account_email=ACCOUNT)
    with JwksServer([key]) as jwks:
        app, received = app_with_push(
            PushAuth(audience=auth.audience, service_account_email=ACCOUNT, certs_url=jwks.url)
        )
        with caplog.at_level(logging.WARNING, logger="pubsub_runtime"):
            async with serving(app) as client:
                response = await client.post(
                    "/push/orders",
                    content=order_body(),
                    headers={"Authorization": "Bearer " + key.sign(claims)},
                )

    assert response.status_code == status
    assert response.text == body
    for secret in (ACCOUNT, AUDIENCE, "expected"):
        assert secret not in response.text
        assert secret not in str(response.headers)
    assert received == []
    assert "request refused" in caplog.text
    assert (
        (ACCOUNT in caplog.text) or ("audience" in caplog.text.lower()) or ("issuer" in caplog.text)
    )
