"""A service whose subscriptions dead-letter, for the dead-letter and console tests.

Configured by environment variables: ``APP_PROJECT``, ``APP_TOPICS`` (comma-separated
``topic=subscription`` pairs, each topic typed with ``Order``), ``APP_DEAD_LETTER`` (their shared
dead-letter topic), ``APP_BROKEN`` (a file: while it exists the handler fails every order, as a
buggy release would), ``APP_RECORD`` (a file the handler appends each handled order id to),
``APP_CONSOLE`` (``1``: the console is on). ``build_broker`` makes the same broker in a test.
"""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from pubsub_runtime import FastPubSub, Message, PubSubBroker, TopicSpec


class Order(BaseModel):
    """An order placed by a customer."""

    order_id: str = Field(min_length=1)
    amount: int = Field(ge=0)
    note: str | None = None


def order_spec(topic: str) -> TopicSpec[Order]:
    return TopicSpec(
        name=topic,
        model=Order,
        schema_type="JSON_SCHEMA",
        definition=json.dumps(Order.model_json_schema()),
    )


Handler = Callable[[Message[Order]], Awaitable[Any]]


def build_broker(
    project: str,
    topics: dict[str, str],
    dead_letter: str,
    handler: Handler,
    on_decode_error: Any = "nack",
) -> PubSubBroker:
    """A broker with one subscriber per ``topic -> subscription``, all dead-lettering to one
    topic after 5 attempts, redelivered without backoff so that tests are quick."""
    broker = PubSubBroker(project, topics={t: order_spec(t) for t in topics})
    for topic, subscription in topics.items():
        broker.subscriber(
            subscription,
            topic_name=topic,
            subscription_name=subscription,
            dead_letter_topic=dead_letter,
            max_delivery_attempts=5,
            min_backoff_delay_secs=0,
            max_backoff_delay_secs=0,
            on_decode_error=on_decode_error,
        )(handler)
    return broker


async def handle(message: Message[Order]) -> None:
    if Path(os.environ.get("APP_BROKEN", "/nonexistent")).exists():  # noqa: ASYNC240
        raise RuntimeError(f"cannot handle order {message.payload.order_id} (bug 1234)")
    record = os.environ.get("APP_RECORD")
    if record:
        with open(record, "a") as out:  # noqa: ASYNC230 (a test's record, a few bytes)
            out.write(json.dumps({"order_id": message.payload.order_id, **message.attributes}))
            out.write("\n")


def _topics_from_env() -> dict[str, str]:
    pairs = os.environ.get("APP_TOPICS", "orders=orders-sub")
    return dict(pair.split("=", 1) for pair in pairs.split(","))


broker = build_broker(
    os.environ.get("APP_PROJECT", "test-project"),
    _topics_from_env(),
    os.environ.get("APP_DEAD_LETTER", "orders-dlq"),
    handle,
)
app = FastPubSub(broker, console=os.environ.get("APP_CONSOLE") == "1")
