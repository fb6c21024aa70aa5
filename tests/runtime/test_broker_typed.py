"""Typed topics: payloads decoded before the handler, undecodable ones nacked and logged.

The broker relies only on the TopicSpec interface (``name``, ``model``, ``attributes``,
``encode``, ``decode``); a small JSON spec stands in for the generated ones here.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from pubsub_runtime import DecodeError, Message, PubSubBroker
from pubsub_runtime.testing import Emulator

WAIT = 20.0  # guard against hangs only


class OrderPlaced(BaseModel):
    order_id: str
    amount: int


class Refund(BaseModel):
    order_id: str


class JsonSpec:
    """A TopicSpec-like stub: JSON of the model, ``decode`` raising ``DecodeError``."""

    schema_type = "JSON_SCHEMA"
    encoding = "JSON"
    definition = "{}"

    def __init__(self, name: str, model: type[BaseModel]) -> None:
        self.name = name
        self.model = model
        self.encoded: list[BaseModel] = []

    @property
    def attributes(self) -> Mapping[str, str]:
        return {"content-type": "application/json"}

    def encode(self, value: BaseModel) -> bytes:
        self.encoded.append(value)
        return value.model_dump_json(by_alias=True).encode()

    def decode(self, data: bytes, *, encoding: str | None = None) -> Any:
        try:
            return self.model.model_validate_json(data)
        except ValidationError as exc:
            raise DecodeError(self.name, f"{exc.error_count()} validation errors") from exc


def typed_broker(project_id: str, topic: str) -> tuple[PubSubBroker, JsonSpec]:
    spec = JsonSpec(topic, OrderPlaced)
    return PubSubBroker(project_id, topics={topic: spec}), spec


@pytest.mark.emulator
async def test_a_handler_annotated_with_the_model_receives_the_model(
    pubsub_emulator: Emulator, unique_name: Callable[[str], str]
) -> None:
    topic = unique_name("orders")
    broker, spec = typed_broker(pubsub_emulator.project_id, topic)
    received: asyncio.Queue[OrderPlaced] = asyncio.Queue()

    @broker.subscriber("orders", topic_name=topic, subscription_name=unique_name("orders-sub"))
    async def handle(order: OrderPlaced) -> None:
        await received.put(order)

    async with broker:
        await broker.publish(topic_name=topic, data=OrderPlaced(order_id="o-1", amount=10))
        await broker.publish(topic_name=topic, data={"order_id": "o-2", "amount": 20})
        orders = [await asyncio.wait_for(received.get(), WAIT) for _ in range(2)]

    assert sorted(orders, key=lambda o: o.order_id) == [
        OrderPlaced(order_id="o-1", amount=10),
        OrderPlaced(order_id="o-2", amount=20),
    ]
    assert len(spec.encoded) == 2  # both went through the topic's codec


@pytest.mark.emulator
async def test_a_handler_taking_the_message_gets_the_payload_and_the_codec_attributes(
    pubsub_emulator: Emulator, unique_name: Callable[[str], str]
) -> None:
    topic = unique_name("orders")
    broker, _ = typed_broker(pubsub_emulator.project_id, topic)
    received: asyncio.Queue[Message[OrderPlaced]] = asyncio.Queue()

    @broker.subscriber("orders", topic_name=topic, subscription_name=unique_name("orders-sub"))
    async def handle(message: Message[OrderPlaced]) -> None:
        await received.put(message)

    async with broker:
        message_id = await broker.publish(
            topic_name=topic, data=OrderPlaced(order_id="o-1", amount=10), attributes={"a": "b"}
        )
        message = await asyncio.wait_for(received.get(), WAIT)

    assert message.id == message_id
    assert message.payload == OrderPlaced(order_id="o-1", amount=10)
    assert message.attributes == {"content-type": "application/json", "a": "b"}


class LogWatch(logging.Handler):
    """Sets ``event`` once ``count`` records mention ``text``."""

    def __init__(self, text: str, count: int) -> None:
        super().__init__()
        self.text, self.count, self.event = text, count, asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if self.text in record.getMessage():
            self.count -= 1
            if self.count <= 0:
                self.event.set()


@pytest.mark.emulator
async def test_an_undecodable_payload_is_nacked_logged_and_never_reaches_the_handler(
    pubsub_emulator: Emulator,
    unique_name: Callable[[str], str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    topic = unique_name("orders")
    broker, _ = typed_broker(pubsub_emulator.project_id, topic)
    received: asyncio.Queue[OrderPlaced] = asyncio.Queue()
    subscription = unique_name("orders-sub")

    @broker.subscriber(
        "orders",
        topic_name=topic,
        subscription_name=subscription,
        min_backoff_delay_secs=0,
        max_backoff_delay_secs=1,
    )
    async def handle(order: OrderPlaced) -> None:
        await received.put(order)

    async with broker:
        # nacked, so it comes back: a second log line for the same message
        watch = LogWatch("does not decode", count=2)
        logging.getLogger("pubsub_runtime").addHandler(watch)
        try:
            bad_id = await broker.publish(topic_name=topic, data=b'{"order_id": 7}')
            await asyncio.wait_for(watch.event.wait(), WAIT)
        finally:
            logging.getLogger("pubsub_runtime").removeHandler(watch)
        await broker.publish(topic_name=topic, data=OrderPlaced(order_id="o-3", amount=3))
        good = await asyncio.wait_for(received.get(), WAIT)
        assert broker.subscribers[0].state == "running"

    assert good == OrderPlaced(order_id="o-3", amount=3)
    assert received.empty()
    lines = [r.getMessage() for r in caplog.records if "does not decode" in r.getMessage()]
    assert len(lines) >= 2
    assert all(bad_id in line and subscription in line for line in lines)
    assert all("validation errors" in line for line in lines)


def test_a_model_handler_needs_its_topic_registered() -> None:
    broker = PubSubBroker("any-project")

    with pytest.raises(TypeError, match="not registered"):

        @broker.subscriber("orders", topic_name="orders", subscription_name="orders-sub")
        async def handle(order: OrderPlaced) -> None:
            pass


def test_a_handler_annotated_with_another_model_is_refused() -> None:
    broker, _ = typed_broker("any-project", "orders")

    with pytest.raises(TypeError, match="Refund"):

        @broker.subscriber("orders", topic_name="orders", subscription_name="orders-sub")
        async def handle(refund: Refund) -> None:
            pass
