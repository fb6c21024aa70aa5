"""Pub/Sub is the outside judge of the Avro codecs: what they write, it accepts.

Every sample of ``test_codec_avro``'s catalogue is checked with the schema service's
``validate_message``, in both encodings; a topic bound to a schema takes what the codec writes,
refuses plain JSON, and its messages decode, honouring ``googclient_schemaencoding``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import pytest
from google.api_core.exceptions import InvalidArgument
from google.pubsub_v1 import (
    Encoding,
    PublisherAsyncClient,
    PubsubMessage,
    Schema,
    SchemaServiceAsyncClient,
    SchemaServiceClient,
    SubscriberAsyncClient,
)
from test_codec_avro import BY_ID_CASES, CASES, Case

from pubsub_runtime.testing import Emulator

pytestmark = pytest.mark.emulator


def create_schema(client: SchemaServiceClient, project: str, schema_id: str, case: Case) -> str:
    schema = Schema(type_=Schema.Type.AVRO, definition=json.dumps(case.schema))
    return client.create_schema(
        parent=f"projects/{project}", schema=schema, schema_id=schema_id
    ).name


def validate(
    client: SchemaServiceClient, project: str, schema: str, data: bytes, encoding: str
) -> None:
    client.validate_message(
        request={
            "parent": f"projects/{project}",
            "name": schema,
            "message": data,
            "encoding": Encoding[encoding],
        }
    )


@pytest.mark.parametrize("encoding", ["JSON", "BINARY"])
@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_pubsub_accepts_every_sample(
    pubsub_emulator: Emulator, unique_name: Callable[[str], str], case: Case, encoding: str
) -> None:
    client = SchemaServiceClient()
    project = pubsub_emulator.project_id
    schema = create_schema(client, project, unique_name("schema"), case)
    spec = case.spec(encoding)
    for model, _ in case.samples:
        validate(client, project, schema, spec.encode(model), encoding)


@pytest.mark.parametrize("case_id", ["unions", "logical", "enums", "duration"])
def test_pubsub_rejects_plain_json_where_avro_json_differs(
    pubsub_emulator: Emulator, unique_name: Callable[[str], str], case_id: str
) -> None:
    case = BY_ID_CASES[case_id]
    client = SchemaServiceClient()
    project = pubsub_emulator.project_id
    schema = create_schema(client, project, unique_name("schema"), case)
    model = case.samples[0][0]
    with pytest.raises(InvalidArgument):
        validate(client, project, schema, model.model_dump_json(by_alias=True).encode(), "JSON")


async def pull_all(
    subscriber: SubscriberAsyncClient, subscription: str, count: int
) -> list[PubsubMessage]:
    received: list[PubsubMessage] = []
    for _ in range(50):
        response = await subscriber.pull(subscription=subscription, max_messages=count)
        if response.received_messages:
            received.extend(m.message for m in response.received_messages)
            await subscriber.acknowledge(
                subscription=subscription, ack_ids=[m.ack_id for m in response.received_messages]
            )
        if len(received) >= count:
            return received
        await asyncio.sleep(0.1)
    raise AssertionError(f"received {len(received)} of {count} messages")


@pytest.mark.parametrize("encoding", ["JSON", "BINARY"])
@pytest.mark.parametrize("case_id", ["unions", "recursive", "logical"])
async def test_a_topic_bound_to_the_schema_takes_the_codecs_messages(
    pubsub_emulator: Emulator, unique_name: Callable[[str], str], case_id: str, encoding: str
) -> None:
    case = BY_ID_CASES[case_id]
    project = pubsub_emulator.project_id
    schemas, publisher = SchemaServiceAsyncClient(), PublisherAsyncClient()
    subscriber = SubscriberAsyncClient()
    schema = await schemas.create_schema(
        parent=f"projects/{project}",
        schema=Schema(type_=Schema.Type.AVRO, definition=json.dumps(case.schema)),
        schema_id=unique_name("schema"),
    )
    topic = await publisher.create_topic(
        request={
            "name": f"projects/{project}/topics/{unique_name('codec')}",
            "schema_settings": {"schema": schema.name, "encoding": Encoding[encoding]},
        }
    )
    subscription = await subscriber.create_subscription(
        name=f"projects/{project}/subscriptions/{unique_name('codec')}", topic=topic.name
    )
    spec = case.spec(encoding)
    models = [model for model, _ in case.samples]
    await publisher.publish(
        topic=topic.name,
        messages=[
            PubsubMessage(data=spec.encode(m), attributes=dict(spec.attributes)) for m in models
        ],
    )

    received = await pull_all(subscriber, subscription.name, len(models))

    # decoded with a spec whose own encoding is the other one: the attribute decides
    other = case.spec("BINARY" if encoding == "JSON" else "JSON")
    decoded = []
    for message in received:
        assert message.attributes["googclient_schemaencoding"] == encoding
        decoded.append(
            other.decode(message.data, encoding=message.attributes["googclient_schemaencoding"])
        )
    assert len(decoded) == len(models)
    assert all(decoded.count(m) == models.count(m) for m in models)


async def test_a_json_topic_bound_to_the_schema_refuses_plain_json(
    pubsub_emulator: Emulator, unique_name: Callable[[str], str]
) -> None:
    case = BY_ID_CASES["unions"]
    project = pubsub_emulator.project_id
    schemas, publisher = SchemaServiceAsyncClient(), PublisherAsyncClient()
    schema = await schemas.create_schema(
        parent=f"projects/{project}",
        schema=Schema(type_=Schema.Type.AVRO, definition=json.dumps(case.schema)),
        schema_id=unique_name("schema"),
    )
    topic = await publisher.create_topic(
        request={
            "name": f"projects/{project}/topics/{unique_name('codec')}",
            "schema_settings": {"schema": schema.name, "encoding": Encoding.JSON},
        }
    )
    model = case.samples[0][0]
    plain = PubsubMessage(data=model.model_dump_json(by_alias=True).encode())
    with pytest.raises(InvalidArgument):
        await publisher.publish(topic=topic.name, messages=[plain])
    avro_json = PubsubMessage(data=case.spec("JSON").encode(model))
    assert (await publisher.publish(topic=topic.name, messages=[avro_json])).message_ids
