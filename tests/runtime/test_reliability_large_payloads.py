"""Large payloads on the emulator are decoded off the event loop, valid or poison.

The model's validator notes the thread it runs in: decoding (JSON parsing and validation) of a
payload over ``OFFLOAD_DECODE_BYTES`` happens in a worker thread, a small one on the loop.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable

import pytest
from pydantic import BaseModel, field_validator

from pubsub_runtime import Message, PubSubBroker, TopicSpec
from pubsub_runtime._codecs.decode import OFFLOAD_DECODE_BYTES
from pubsub_runtime.testing import Emulator

pytestmark = pytest.mark.emulator

WAIT = 60.0  # guard against hangs only
NINE_MB = 9 * 1024 * 1024
decoded_in: dict[str, int] = {}  # note -> thread id of the validation
POISON_MARK = "yyyy"


class Traced(BaseModel):
    key: str
    text: str

    @field_validator("key")
    @classmethod
    def note_thread(cls, key: str) -> str:
        decoded_in[key] = threading.get_ident()
        return key

    @field_validator("text")
    @classmethod
    def refuse_poison(cls, text: str) -> str:
        # The schema accepts any string: the model refuses these, after "key" was noted.
        if text.startswith(POISON_MARK):
            raise ValueError("a poison text")
        return text


def traced_topic(name: str) -> TopicSpec[Traced]:
    return TopicSpec(
        name=name,
        model=Traced,
        schema_type="JSON_SCHEMA",
        definition=json.dumps(Traced.model_json_schema()),
    )


async def test_large_payloads_are_decoded_in_a_thread_and_poison_is_dead_lettered(
    pubsub_emulator: Emulator, unique_name: Callable[[str], str]
) -> None:
    topic, dead_letters = unique_name("notes"), unique_name("notes-dlq")
    broker = PubSubBroker(pubsub_emulator.project_id, topics={topic: traced_topic(topic)})
    handled: asyncio.Queue[Traced] = asyncio.Queue()
    dead_lettered: asyncio.Queue[Message] = asyncio.Queue()

    @broker.subscriber(
        "notes",
        topic_name=topic,
        subscription_name=unique_name("notes-sub"),
        dead_letter_topic=dead_letters,
        on_decode_error="dead_letter",
    )
    async def handle(note: Traced) -> None:
        await handled.put(note)

    @broker.subscriber("dlq", topic_name=dead_letters, subscription_name=dead_letters)
    async def collect(message: Message) -> None:
        await dead_lettered.put(message)

    big = Traced(key="big", text="x" * NINE_MB)
    # Valid for the schema, refused by the model's validator after "key" was noted.
    poison = b'{"key": "poison", "text": "' + b"y" * NINE_MB + b'"}'
    loop_thread = threading.get_ident()
    async with broker:
        await broker.publish(topic, big)
        poison_id = await broker.publish(topic, poison)
        await broker.publish(topic, Traced(key="small", text="z"))
        received = {(await asyncio.wait_for(handled.get(), WAIT)).key for _ in range(2)}
        dead = await asyncio.wait_for(dead_lettered.get(), WAIT)
        (subscriber, _) = broker.subscribers
        assert subscriber.state == "running"

    assert len(big.model_dump_json()) > OFFLOAD_DECODE_BYTES
    assert received == {"big", "small"}
    assert decoded_in["big"] != loop_thread  # decoded in a worker thread
    assert decoded_in["poison"] != loop_thread
    assert decoded_in["small"] == loop_thread  # too small to be worth a thread
    assert dead.data == poison
    assert dead.attributes["pubsub-source-message-id"] == poison_id
    assert handled.empty()


async def test_a_large_poison_message_is_nacked_until_pubsub_dead_letters_it(
    pubsub_emulator: Emulator, unique_name: Callable[[str], str]
) -> None:
    topic, dead_letters = unique_name("notes"), unique_name("notes-dlq")
    broker = PubSubBroker(pubsub_emulator.project_id, topics={topic: traced_topic(topic)})
    handled: asyncio.Queue[Traced] = asyncio.Queue()
    dead_lettered: asyncio.Queue[Message] = asyncio.Queue()

    @broker.subscriber(
        "notes",
        topic_name=topic,
        subscription_name=unique_name("notes-sub"),
        dead_letter_topic=dead_letters,
        max_delivery_attempts=5,
        min_backoff_delay_secs=0,
        max_backoff_delay_secs=1,
    )
    async def handle(note: Traced) -> None:
        await handled.put(note)

    @broker.subscriber("dlq", topic_name=dead_letters, subscription_name=dead_letters)
    async def collect(message: Message) -> None:
        await dead_lettered.put(message)

    poison = b'{"key": "nacked", "text": "' + b"y" * (2 * OFFLOAD_DECODE_BYTES) + b'"}'
    async with broker:
        poison_id = await broker.publish(topic, poison)
        await broker.publish(topic, Traced(key="after", text="z"))
        dead = await asyncio.wait_for(dead_lettered.get(), WAIT)
        good = await asyncio.wait_for(handled.get(), WAIT)

    assert dead.attributes.get("pubsub-source-message-id") is None  # Pub/Sub's own copy
    assert dead.data == poison and dead.id != poison_id
    assert good.key == "after"
    assert decoded_in["nacked"] != threading.get_ident()
