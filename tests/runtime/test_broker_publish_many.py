"""``PubSubBroker.publish_many``: many messages joining the topic's batches at once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

import pytest
from google.api_core.exceptions import NotFound
from pydantic import BaseModel

from pubsub_runtime import Message, PubSubBroker
from pubsub_runtime.testing import Emulator, TestBroker

WAIT = 20.0  # guard against hangs only


class Tick(BaseModel):
    n: int


class TickSpec:
    """A TopicSpec-like stub: JSON of the model, with one codec attribute."""

    schema_type = "JSON_SCHEMA"
    encoding = "JSON"
    definition = "{}"
    model = Tick

    def __init__(self, name: str) -> None:
        self.name = name

    @property
    def attributes(self) -> Mapping[str, str]:
        return {"content-type": "application/json"}

    def encode(self, value: Tick) -> bytes:
        return value.model_dump_json().encode()

    def decode(self, data: bytes, *, encoding: str | None = None) -> Any:
        return Tick.model_validate_json(data)


@pytest.mark.emulator
async def test_publish_many_returns_each_items_id_in_order_across_batches(
    pubsub_emulator: Emulator, unique_name: Callable[[str], str]
) -> None:
    topic = unique_name("ticks")
    broker = PubSubBroker(pubsub_emulator.project_id, topics={topic: TickSpec(topic)})
    count = 250  # more than one batch (100 messages by default)
    received: dict[str, Message[Tick]] = {}
    done = asyncio.Event()

    @broker.subscriber("ticks", topic_name=topic, subscription_name=unique_name("ticks-sub"))
    async def handle(message: Message[Tick]) -> None:
        received[message.id] = message
        if len(received) == count:
            done.set()

    async with broker:
        items: list[Any] = [Tick(n=i) for i in range(count - 1)] + [{"n": count - 1}]
        ids = await broker.publish_many(topic, items, {"batch": "yes"})
        await asyncio.wait_for(done.wait(), WAIT)

    assert len(ids) == count and len(set(ids)) == count
    assert [received[i].payload.n for i in ids] == list(range(count))
    first = received[ids[0]].attributes
    assert first == {"content-type": "application/json", "batch": "yes"}


@pytest.mark.emulator
async def test_publish_many_creates_a_missing_topic_only_when_asked(
    pubsub_emulator: Emulator, unique_name: Callable[[str], str]
) -> None:
    topic = unique_name("missing")
    async with PubSubBroker(pubsub_emulator.project_id) as broker:
        with pytest.raises(NotFound):
            await broker.publish_many(topic, [b"a", b"b"])
        ids = await broker.publish_many(topic, [b"a", "b", {"c": 1}], autocreate=True)
        assert len(set(ids)) == 3
        assert await broker.publish_many(topic, []) == []


async def test_publish_many_encodes_every_item_before_sending_any() -> None:
    broker = PubSubBroker("no-project")
    with pytest.raises(TypeError):
        await broker.publish_many("t", [b"fine", object()])  # type: ignore[list-item]


async def test_publish_many_under_a_test_broker_lands_in_memory_in_order() -> None:
    broker = PubSubBroker("test-project", topics={"ticks": TickSpec("ticks")})
    received: list[int] = []

    @broker.subscriber("ticks", topic_name="ticks", subscription_name="ticks-sub")
    async def handle(tick: Tick) -> None:
        received.append(tick.n)

    async with TestBroker(broker) as tb:
        ids = await broker.publish_many("ticks", [Tick(n=i) for i in range(5)])
        await tb.drain()

    assert received == list(range(5))
    assert [p.id for p in tb.published("ticks")] == ids
