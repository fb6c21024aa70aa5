"""A service with metrics on, for the metrics tests; configured by environment variables.

``APP_PROJECT``, ``APP_TOPIC`` (typed: ``ops_common.Order``), ``APP_SUBSCRIPTION`` (pull,
created at startup), ``APP_DEAD_LETTER`` (where poison messages go), ``APP_OUT_TOPIC`` (what
``POST /publish/{count}`` publishes to), ``APP_MARKS`` (a folder: an order with ``fail_times``
fails its first delivery only, whichever worker gets it), ``APP_RECORD``.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from pubsub_runtime import FastPubSub, Message, PubSubBroker
from tests.runtime.apps.ops_common import Order, order_spec, record

TOPIC = os.environ["APP_TOPIC"]
OUT_TOPIC = os.environ["APP_OUT_TOPIC"]
MARKS = Path(os.environ["APP_MARKS"])

broker = PubSubBroker(
    project_id=os.environ["APP_PROJECT"],
    topics={TOPIC: order_spec(TOPIC), OUT_TOPIC: order_spec(OUT_TOPIC)},
)
app = FastPubSub(broker, metrics=True)


@broker.subscriber(
    "metered",
    topic_name=TOPIC,
    subscription_name=os.environ["APP_SUBSCRIPTION"],
    dead_letter_topic=os.environ["APP_DEAD_LETTER"],
    on_decode_error="dead_letter",
    min_backoff_delay_secs=0,
    max_backoff_delay_secs=1,
)
async def handle(message: Message[Order]) -> None:
    order = message.payload
    if order.fail_times and _first_delivery(message.id):
        record("nack", order.order_id, os.getpid())
        raise RuntimeError(f"failing the first delivery of {order.order_id} on purpose")
    record("ack", order.order_id, os.getpid())


def _first_delivery(message_id: str) -> bool:
    # O_EXCL: exactly one delivery, in any worker, creates the mark.
    try:
        os.close(os.open(MARKS / message_id, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    return True


@app.post("/publish/{count}")
async def publish(count: int) -> dict[str, int]:
    orders = [Order(order_id=f"out-{i}", amount=i) for i in range(count)]
    await asyncio.gather(*(broker.publish(OUT_TOPIC, order, autocreate=True) for order in orders))
    return {"published": count}


@app.get("/pid")
async def pid() -> dict[str, int]:
    return {"pid": os.getpid()}
