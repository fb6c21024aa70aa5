"""A push subscriber fetches a registry revision it does not know, as a pull subscriber does.

The newer publisher deployed first: its messages name a revision of the topic's schema that
the running (older) code was not generated with. The push endpoint asks the emulator's
registry for it once and decodes the message with fastavro's reader/writer resolution.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest
from apps.ops_common import serving
from google.pubsub_v1 import Schema, SchemaServiceClient
from pydantic import BaseModel

from pubsub_runtime import FastPubSub, PubSubBroker, TopicSpec
from pubsub_runtime.testing import Emulator

pytestmark = pytest.mark.emulator

TOPIC = "readings"
V1 = {
    "type": "record",
    "name": "Reading",
    "fields": [{"name": "sensor", "type": "string"}, {"name": "value", "type": "long"}],
}
# check-compat --mode forward: compatible (V1 readers skip the new field)
V2 = {
    "type": "record",
    "name": "Reading",
    "fields": [*V1["fields"], {"name": "unit_id", "type": "long", "default": 0}],
}


class ReadingV1(BaseModel):
    sensor: str
    value: int


class ReadingV2(BaseModel):
    sensor: str
    value: int
    unit_id: int


def spec(model: type[BaseModel], schema: dict[str, Any]) -> Any:
    return TopicSpec(
        name=TOPIC, model=model, schema_type="AVRO", encoding="JSON", definition=json.dumps(schema)
    )


def envelope(data: bytes, attributes: dict[str, str]) -> dict[str, Any]:
    message = {
        "data": base64.b64encode(data).decode(),
        "messageId": "301",
        "publishTime": "2026-12-02T12:00:00Z",
        "attributes": attributes,
    }
    return {"message": message, "subscription": "projects/p/subscriptions/readings-push"}


async def test_a_push_subscriber_reads_a_revision_it_fetches_from_the_registry(
    pubsub_emulator: Emulator, unique_name: Callable[[str], str]
) -> None:
    registry = SchemaServiceClient()
    project = pubsub_emulator.project_id
    created = registry.create_schema(
        parent=f"projects/{project}",
        schema=Schema(type_=Schema.Type.AVRO, definition=json.dumps(V1)),
        schema_id=unique_name("readings"),
    )
    newer = registry.commit_schema(
        name=created.name, schema=Schema(type_=Schema.Type.AVRO, definition=json.dumps(V2))
    )
    assert newer.revision_id != created.revision_id

    broker = PubSubBroker(project, topics={TOPIC: spec(ReadingV1, V1)})  # the older code
    received: list[ReadingV1] = []

    @broker.push_subscriber(
        "readings", topic_name=TOPIC, subscription_name="readings-push", path="/push/readings"
    )
    async def take(reading: ReadingV1) -> None:
        received.append(reading)

    data = spec(ReadingV2, V2).encode(ReadingV2(sensor="s-1", value=5, unit_id=7))
    attributes = {
        "googclient_schemaname": created.name,
        "googclient_schemarevisionid": newer.revision_id,
        "googclient_schemaencoding": "JSON",
    }
    async with serving(FastPubSub(broker)) as client:
        response = await client.post("/push/readings", json=envelope(data, attributes))

    assert response.status_code == 204
    assert received == [ReadingV1(sensor="s-1", value=5)]
