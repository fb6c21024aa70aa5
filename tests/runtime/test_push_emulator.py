"""Push subscriptions end to end: the emulator POSTs to an app run by ``python -m pubsub_runtime``.

The app creates its push subscriptions at startup (endpoint ``PUBSUB_PUSH_BASE_URL`` + path),
the emulator pushes each published message to them, and the app's answer acks or nacks it.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from apps.ops_common import (
    JwksServer,
    Order,
    Service,
    SigningKey,
    free_port,
    order_spec,
    push_claims,
    running_service,
)
from google.cloud import pubsub_v1

from pubsub_runtime.testing import Emulator

pytestmark = pytest.mark.emulator

APP = "tests.runtime.apps.ops_push:app"
AUDIENCE = "https://orders.example.com/push/secure"
SERVICE_ACCOUNT = "pusher@project.iam.gserviceaccount.com"


@dataclass
class Setup:
    service: Service
    project: str
    topic: str
    push_sub: str
    raw_sub: str
    base_url: str
    key: SigningKey

    def publish(self, order: Order, **attributes: str) -> str:
        publisher = pubsub_v1.PublisherClient()
        path = publisher.topic_path(self.project, self.topic)
        data = order_spec(self.topic).encode(order)
        message_id: str = publisher.publish(path, data, **attributes).result()
        return message_id


@pytest.fixture(scope="module")
def setup(pubsub_emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    suffix = uuid.uuid4().hex[:12]
    names = {kind: f"push-{kind}-{suffix}" for kind in ("topic", "push", "raw", "secure")}
    key = SigningKey("key-1")
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    publisher = pubsub_v1.PublisherClient()
    publisher.create_topic(name=publisher.topic_path(pubsub_emulator.project_id, names["topic"]))
    with JwksServer([key]) as jwks:
        env = {
            "APP_PROJECT": pubsub_emulator.project_id,
            "APP_TOPIC": names["topic"],
            "APP_PUSH_SUB": names["push"],
            "APP_RAW_SUB": names["raw"],
            "APP_SECURE_SUB": names["secure"],
            "APP_JWKS_URL": jwks.url,
            "APP_AUDIENCE": AUDIENCE,
            "APP_SERVICE_ACCOUNT": SERVICE_ACCOUNT,
            "PUBSUB_PUSH_BASE_URL": base_url,
        }
        directory = tmp_path_factory.mktemp("push")
        with running_service(APP, directory, env, port=port) as service:
            yield Setup(
                service,
                pubsub_emulator.project_id,
                names["topic"],
                names["push"],
                names["raw"],
                base_url,
                key,
            )


def envelope(order: Order, topic: str, message_id: str = "m-1") -> bytes:
    data = base64.b64encode(order_spec(topic).encode(order)).decode()
    message = {
        "data": data,
        "attributes": {},
        "messageId": message_id,
        "publishTime": "2026-01-01T00:00:00Z",
    }
    return json.dumps({"message": message, "subscription": "projects/p/subscriptions/s"}).encode()


def test_startup_creates_the_push_subscriptions_with_their_endpoints(setup: Setup) -> None:
    subscriber = pubsub_v1.SubscriberClient()
    wrapped = subscriber.get_subscription(
        subscription=subscriber.subscription_path(setup.project, setup.push_sub)
    )
    raw = subscriber.get_subscription(
        subscription=subscriber.subscription_path(setup.project, setup.raw_sub)
    )

    assert wrapped.push_config.push_endpoint == f"{setup.base_url}/push/orders"
    assert raw.push_config.push_endpoint == f"{setup.base_url}/push/raw"
    assert raw.push_config.no_wrapper.write_metadata is True


def test_a_typed_push_handler_receives_the_model(setup: Setup) -> None:
    setup.publish(Order(order_id="typed-1", amount=42))

    setup.service.wait(
        lambda: any(line[0] == "typed-1" for line in setup.service.lines("order")),
        "the pushed order was handled",
    )
    [line] = [line for line in setup.service.lines("order") if line[0] == "typed-1"]
    assert line == ["typed-1", "42", "Order"]


def test_an_unwrapped_push_gives_the_model_and_the_attributes(setup: Setup) -> None:
    message_id = setup.publish(Order(order_id="raw-1", amount=7), channel="web-shop")

    setup.service.wait(
        lambda: any(line[1] == "raw-1" for line in setup.service.lines("raw")),
        "the unwrapped push was handled",
    )
    [line] = [line for line in setup.service.lines("raw") if line[1] == "raw-1"]
    assert line == [message_id, "raw-1", "web-shop"]


def test_a_raising_handler_makes_the_emulator_push_again(setup: Setup) -> None:
    setup.publish(Order(order_id="retry-1", amount=1, fail_times=2))

    setup.service.wait(
        lambda: any(line[0] == "retry-1" for line in setup.service.lines("order")),
        "the order was handled after two failed deliveries",
    )
    failures = [line for line in setup.service.lines("fail") if line[0] == "retry-1"]
    assert failures == [["retry-1", "1"], ["retry-1", "2"]]


@pytest.mark.parametrize(
    ("what", "authorization", "status"),
    [
        ("no token", None, 401),
        ("not a bearer token", lambda key: "Basic dXNlcjpwYXNz", 401),
        ("a garbled token", lambda key: "Bearer not.a.jwt", 401),
        (
            "a token forged with another key under the same key id",
            lambda key: (
                "Bearer " + SigningKey(key.key_id).sign(push_claims(AUDIENCE, SERVICE_ACCOUNT))
            ),
            401,
        ),
        (
            "a token for another audience",
            lambda key: "Bearer " + key.sign(push_claims("https://other.example", SERVICE_ACCOUNT)),
            401,
        ),
        (
            "an expired token",
            lambda key: (
                "Bearer "
                + key.sign(push_claims(AUDIENCE, SERVICE_ACCOUNT, iat=1_000_000, exp=1_003_600))
            ),
            401,
        ),
        (
            "a token of another service account",
            lambda key: "Bearer " + key.sign(push_claims(AUDIENCE, "intruder@evil.example")),
            403,
        ),
    ],
)
def test_a_request_with_a_bad_token_is_refused(
    setup: Setup,
    what: str,
    authorization: Callable[[SigningKey], str] | None,
    status: int,
) -> None:
    order_id = f"refused-{abs(hash(what))}"
    headers = {} if authorization is None else {"Authorization": authorization(setup.key)}

    response = setup.service.post(
        "/push/secure",
        content=envelope(Order(order_id=order_id, amount=1), setup.topic),
        headers=headers,
    )

    assert response.status_code == status, what
    assert order_id not in [line[0] for line in setup.service.lines("secure")]


def test_a_request_with_a_valid_token_is_handled(setup: Setup) -> None:
    token = setup.key.sign(push_claims(AUDIENCE, SERVICE_ACCOUNT))

    response = setup.service.post(
        "/push/secure",
        content=envelope(Order(order_id="secure-1", amount=5), setup.topic),
        headers={"Authorization": f"Bearer {token}"},
    )

    assert response.status_code == 204
    assert ["secure-1"] in setup.service.lines("secure")


def test_the_health_report_lists_push_subscribers(setup: Setup) -> None:
    body = setup.service.get("/consumers/alive").json()

    states = {s["alias"]: s["state"] for s in body["subscribers"]}
    assert states == {"orders": "running", "raw-orders": "running", "secure-orders": "running"}
    assert body["status"] == "ok"
