"""A service with push subscribers, for the push tests; configured by environment variables.

``APP_PROJECT``, ``APP_TOPIC``: the typed topic (``ops_common.Order``). ``APP_PUSH_SUB``: a
wrapped push subscription created at startup (``PUBSUB_PUSH_BASE_URL`` + ``/push/orders``);
its handler fails an order's first ``fail_times`` deliveries. ``APP_RAW_SUB``: the same with
payload unwrapping (``/push/raw``). ``APP_SECURE_SUB``: a route that verifies tokens
(``/push/secure``) against ``APP_JWKS_URL``, for ``APP_AUDIENCE`` and ``APP_SERVICE_ACCOUNT``;
nothing creates its subscription, the tests call it directly. ``APP_RECORD``: what handlers did.
"""

from __future__ import annotations

import os

from pubsub_runtime import FastPubSub, Message, PubSubBroker
from pubsub_runtime._push.auth import PushAuth
from tests.runtime.apps.ops_common import Order, order_spec, record

TOPIC = os.environ["APP_TOPIC"]

broker = PubSubBroker(project_id=os.environ["APP_PROJECT"], topics={TOPIC: order_spec(TOPIC)})
app = FastPubSub(broker)
FAST_RETRIES = {"min_backoff_delay_secs": 0, "max_backoff_delay_secs": 1}


@broker.push_subscriber(
    "orders",
    topic_name=TOPIC,
    subscription_name=os.environ["APP_PUSH_SUB"],
    path="/push/orders",
    autocreate=True,
    **FAST_RETRIES,
)
async def take_order(order: Order) -> None:
    failed = sum(1 for line in _lines("fail") if line[0] == order.order_id)
    if failed < order.fail_times:
        record("fail", order.order_id, failed + 1)
        raise RuntimeError(f"failing delivery {failed + 1} of {order.order_id} on purpose")
    record("order", order.order_id, order.amount, type(order).__name__)


@broker.push_subscriber(
    "raw-orders",
    topic_name=TOPIC,
    subscription_name=os.environ["APP_RAW_SUB"],
    path="/push/raw",
    payload_unwrapping=True,
    autocreate=True,
    **FAST_RETRIES,
)
async def take_raw_order(message: Message[Order]) -> None:
    record("raw", message.id, message.payload.order_id, message.attributes.get("channel", "-"))


@broker.push_subscriber(
    "secure-orders",
    topic_name=TOPIC,
    subscription_name=os.environ["APP_SECURE_SUB"],
    path="/push/secure",
    verify_token=PushAuth(
        audience=os.environ["APP_AUDIENCE"],
        service_account_email=os.environ["APP_SERVICE_ACCOUNT"],
        certs_url=os.environ["APP_JWKS_URL"],
    ),
)
async def take_secure_order(order: Order) -> None:
    record("secure", order.order_id)


def _lines(event: str) -> list[list[str]]:
    path = os.environ["APP_RECORD"]
    if not os.path.exists(path):
        return []
    with open(path) as file:
        rows = [line.split() for line in file]
    return [row[1:] for row in rows if row and row[0] == event]
