"""The push route of a FastPubSub app: what each kind of request and handler result answers.

No emulator: an app whose broker has only push subscribers (and no autocreate) talks to no
Pub/Sub at all, so the requests are made here, as Pub/Sub would make them.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from apps.ops_common import Order, order_spec, serving

from pubsub_runtime import Drop, FastPubSub, Message, PubSubBroker, Retry
from pubsub_runtime._push.auth import PushAuth

TOPIC = "orders"


def broker() -> PubSubBroker:
    return PubSubBroker("test-project", topics={TOPIC: order_spec(TOPIC)})


def envelope(data: bytes, **message: Any) -> bytes:
    fields = {
        "data": base64.b64encode(data).decode(),
        "messageId": "101",
        "publishTime": "2026-03-01T12:00:00.123456789Z",
        "attributes": {"source": "test"},
        **message,
    }
    body = {"message": fields, "subscription": "projects/test-project/subscriptions/orders-push"}
    return json.dumps(body).encode()


def order_body(order_id: str = "o-1", **message: Any) -> bytes:
    return envelope(order_spec(TOPIC).encode(Order(order_id=order_id, amount=3)), **message)


async def test_a_typed_handler_gets_the_model_and_its_return_acks_with_204() -> None:
    app_broker = broker()
    app = FastPubSub(app_broker)
    received: list[Order] = []

    @app_broker.push_subscriber(
        "orders", topic_name=TOPIC, subscription_name="orders-push", path="/push/orders"
    )
    async def take(order: Order) -> None:
        received.append(order)

    async with serving(app) as client:
        response = await client.post("/push/orders", content=order_body("o-1"))

    assert response.status_code == 204
    assert received == [Order(order_id="o-1", amount=3)]


async def test_a_message_handler_gets_the_envelope_fields() -> None:
    app_broker = broker()
    app = FastPubSub(app_broker)
    received: list[Message[Order]] = []

    @app_broker.push_subscriber(
        "orders", topic_name=TOPIC, subscription_name="orders-push", path="/push/orders"
    )
    async def take(message: Message[Order]) -> None:
        received.append(message)

    async with serving(app) as client:
        body = order_body("o-2", orderingKey="customer-9", messageId="202")
        wrapped = json.loads(body)
        wrapped["deliveryAttempt"] = 3
        response = await client.post("/push/orders", json=wrapped)

    assert response.status_code == 204
    [message] = received
    assert (message.id, message.ordering_key, message.delivery_attempt) == ("202", "customer-9", 3)
    assert message.attributes == {"source": "test"}
    assert message.payload == Order(order_id="o-2", amount=3)
    assert message.publish_time.isoformat() == "2026-03-01T12:00:00.123456+00:00"


@pytest.mark.parametrize(
    ("result", "status"),
    [
        (RuntimeError("boom"), 500),
        (Retry(delay=30), 503),
        (Drop("duplicate"), 204),
    ],
)
async def test_what_a_handler_result_answers(result: BaseException, status: int) -> None:
    app_broker = broker()
    app = FastPubSub(app_broker)

    @app_broker.push_subscriber(
        "orders", topic_name=TOPIC, subscription_name="orders-push", path="/push/orders"
    )
    async def take(order: Order) -> None:
        raise result

    async with serving(app) as client:
        response = await client.post("/push/orders", content=order_body())

    assert response.status_code == status


async def test_a_payload_that_does_not_decode_is_nacked_without_calling_the_handler() -> None:
    app_broker = broker()
    app = FastPubSub(app_broker)
    called: list[object] = []

    @app_broker.push_subscriber(
        "orders", topic_name=TOPIC, subscription_name="orders-push", path="/push/orders"
    )
    async def take(order: Order) -> None:
        called.append(order)

    async with serving(app) as client:
        response = await client.post("/push/orders", content=envelope(b'{"order_id": 5}'))

    assert response.status_code == 422
    assert called == []


@pytest.mark.parametrize(
    "body",
    [b"not json", b'{"subscription": "s"}', json.dumps({"message": {"data": "!!"}}).encode()],
)
async def test_a_request_that_is_not_a_push_delivery_gets_400(body: bytes) -> None:
    app_broker = broker()
    app = FastPubSub(app_broker)

    @app_broker.push_subscriber(
        "orders", topic_name=TOPIC, subscription_name="orders-push", path="/push/orders"
    )
    async def take(message: Message[Any]) -> None:
        raise AssertionError("not a delivery")

    async with serving(app) as client:
        response = await client.post("/push/orders", content=body)

    assert response.status_code == 400


async def test_a_push_before_the_app_started_is_nacked_with_503() -> None:
    import httpx

    app_broker = broker()
    app = FastPubSub(app_broker)

    @app_broker.push_subscriber(
        "orders", topic_name=TOPIC, subscription_name="orders-push", path="/push/orders"
    )
    async def take(order: Order) -> None:
        raise AssertionError("not started")

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
        response = await client.post("/push/orders", content=order_body())

    assert response.status_code == 503


async def test_a_push_subscriber_declared_before_the_app_gets_its_route_too() -> None:
    app_broker = broker()
    received: list[str] = []

    @app_broker.push_subscriber(
        "early", topic_name=TOPIC, subscription_name="early-push", path="/push/early"
    )
    async def take(order: Order) -> None:
        received.append(order.order_id)

    app = FastPubSub(app_broker)
    async with serving(app) as client:
        response = await client.post("/push/early", content=order_body("early-1"))

    assert response.status_code == 204
    assert received == ["early-1"]


async def test_an_unwrapped_request_is_read_from_body_and_headers() -> None:
    app_broker = broker()
    app = FastPubSub(app_broker)
    received: list[Message[Order]] = []

    @app_broker.push_subscriber(
        "orders", topic_name=TOPIC, subscription_name="orders-push", path="/push/orders"
    )
    async def take(message: Message[Order]) -> None:
        received.append(message)

    headers = {
        "x-goog-pubsub-message-id": "303",
        "x-goog-pubsub-publish-time": "2026-03-01T12:00:00Z",
        "x-goog-pubsub-subscription-name": "projects/test-project/subscriptions/orders-push",
        "x-goog-pubsub-ordering-key": "k-1",
        "Channel": "web",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    data = order_spec(TOPIC).encode(Order(order_id="raw-9", amount=1))
    async with serving(app) as client:
        response = await client.post("/push/orders", content=data, headers=headers)

    assert response.status_code == 204
    [message] = received
    assert (message.id, message.ordering_key) == ("303", "k-1")
    assert message.payload == Order(order_id="raw-9", amount=1)
    assert message.attributes == {"channel": "web"}


def test_declaring_push_subscribers_checks_what_it_can_at_once() -> None:
    app_broker = broker()

    @app_broker.push_subscriber("a", topic_name=TOPIC, subscription_name="a", path="/push/a")
    async def take(message: Message[Any]) -> None: ...

    with pytest.raises(ValueError, match="alias 'a' is already registered"):
        app_broker.push_subscriber("a", topic_name=TOPIC, subscription_name="b", path="/b")
    with pytest.raises(ValueError, match="already uses path '/push/a'"):
        app_broker.push_subscriber("b", topic_name=TOPIC, subscription_name="b", path="/push/a")
    with pytest.raises(ValueError, match="must start with '/'"):
        app_broker.push_subscriber("c", topic_name=TOPIC, subscription_name="c", path="push/c")
    with pytest.raises(TypeError, match="must be an 'async def' function"):

        @app_broker.push_subscriber("d", topic_name=TOPIC, subscription_name="d", path="/d")
        def blocking(message: Message[Any]) -> None: ...

    with pytest.raises(TypeError, match="is not registered"):

        @app_broker.push_subscriber("e", topic_name="other", subscription_name="e", path="/e")
        async def untyped_topic(order: Order) -> None: ...


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({"verify_token": True}, "verifies tokens but has no audience"),
        ({"autocreate": True}, "has autocreate on but no endpoint"),
    ],
)
async def test_startup_fails_when_a_push_subscriber_misses_its_url(
    options: dict[str, Any], problem: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PUBSUB_PUSH_BASE_URL", raising=False)
    app_broker = broker()
    app = FastPubSub(app_broker)

    @app_broker.push_subscriber(
        "orders", topic_name=TOPIC, subscription_name="s", path="/push/orders", **options
    )
    async def take(order: Order) -> None: ...

    with pytest.raises(RuntimeError, match=problem):
        async with serving(app):
            pass


async def test_the_audience_defaults_to_the_endpoint_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBSUB_PUSH_BASE_URL", "https://orders.example.com/")
    app_broker = broker()
    app = FastPubSub(app_broker)

    @app_broker.push_subscriber(
        "orders",
        topic_name=TOPIC,
        subscription_name="s",
        path="/push/orders",
        verify_token=PushAuth(certs_url="http://127.0.0.1:9/unreachable"),
    )
    async def take(order: Order) -> None: ...

    async with serving(app) as client:
        missing = await client.post("/push/orders", content=order_body())
        unverifiable = await client.post(
            "/push/orders", content=order_body(), headers={"Authorization": "Bearer a.b.c"}
        )

    [subscriber] = app_broker._push_registry.subscribers
    assert subscriber.endpoint_url == "https://orders.example.com/push/orders"
    assert subscriber._verifier.audience == "https://orders.example.com/push/orders"
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    assert unverifiable.status_code == 401  # the garbled token fails before any key is needed
