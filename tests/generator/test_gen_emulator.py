"""Pub/Sub judges the generated topics: what their codecs write, the emulator accepts."""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import fastavro
import pytest
from avro_features import FEATURES
from avro_random import AvroRandom
from gen_support import SCHEMAS, generate, imported, write_schemas
from google.pubsub_v1 import Encoding, PublisherClient, Schema, SchemaServiceClient, SchemaSettings

import pubsub_gen
from pubsub_runtime import PubSubBroker, TopicSpec
from pubsub_runtime.testing import Emulator

pytestmark = pytest.mark.emulator


@pytest.fixture(scope="module")
def avro_topics(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("emulator")
    write_schemas(root / "features", {f"{n}.avsc": json.dumps(s) for n, s in FEATURES.items()})
    generate(root / "features", root / "out", package="emulator_features")
    pubsub_gen.generate(SCHEMAS, root / "out", package="emulator_examples")
    with (
        imported(root / "out", "emulator_features") as features,
        imported(root / "out", "emulator_examples") as examples,
    ):
        yield {
            name: spec
            for package in (features, examples)
            for name, spec in package.TOPICS.items()
            if spec.schema_type == "AVRO"
        }


def samples(spec: TopicSpec[Any], count: int) -> Iterator[Any]:
    """Models decoded from random records that fastavro wrote."""
    schema = json.loads(spec.definition)
    parsed = fastavro.parse_schema(schema)
    binary = twin(spec, "BINARY")
    for datum in AvroRandom(schema, seed=7).many(count):
        buffer = io.BytesIO()
        fastavro.schemaless_writer(buffer, parsed, datum)
        yield binary.decode(buffer.getvalue())


def twin(spec: TopicSpec[Any], encoding: str) -> TopicSpec[Any]:
    return TopicSpec(
        name=spec.name,
        model=spec.model,
        schema_type="AVRO",
        encoding=encoding,
        definition=spec.definition,
        named_types=spec.named_types,
    )


TOPIC_NAMES = sorted([*FEATURES, "order_placed", "priority_changed", "shipment-updated"])


@pytest.mark.parametrize("topic", TOPIC_NAMES)
def test_validate_message_accepts_both_encodings(
    pubsub_emulator: Emulator, avro_topics: dict[str, Any], topic: str
) -> None:
    client = SchemaServiceClient()
    spec = avro_topics[topic]
    schema = Schema(type_=Schema.Type.AVRO, definition=spec.definition)
    for model in samples(spec, 5):
        for encoding in ("JSON", "BINARY"):
            client.validate_message(
                request={
                    "parent": f"projects/{pubsub_emulator.project_id}",
                    "schema": schema,
                    "message": twin(spec, encoding).encode(model),
                    "encoding": Encoding[encoding],
                }
            )


@pytest.mark.parametrize("stem", ["order_placed", "shipment-updated", "priority_changed"])
async def test_generated_publisher_publishes_to_a_topic_bound_to_the_schema(
    pubsub_emulator: Emulator, unique_name: Callable[[str], str], tmp_path: Path, stem: str
) -> None:
    topic_name = unique_name(stem)
    # A copy of the project (settings and schemas): the renamed topic's revision is recorded
    # in the copy's lock file, not in the repository's.
    project_root = tmp_path / "project"
    shutil.copytree(SCHEMAS, project_root / "schemas")
    shutil.copy(SCHEMAS.parent / "pyproject.toml", project_root / "pyproject.toml")
    pubsub_gen.generate(
        project_root / "schemas",
        tmp_path,
        package="bound_topics",
        topics={stem: {"topic": topic_name}},
    )
    with imported(tmp_path, "bound_topics") as package:
        spec = package.TOPICS[topic_name]
        project = pubsub_emulator.project_id
        schema = SchemaServiceClient().create_schema(
            parent=f"projects/{project}",
            schema=Schema(type_=Schema.Type.AVRO, definition=spec.definition),
            schema_id=unique_name("schema"),
        )
        PublisherClient().create_topic(
            request={
                "name": f"projects/{project}/topics/{topic_name}",
                "schema_settings": SchemaSettings(
                    schema=schema.name, encoding=Encoding[spec.encoding]
                ),
            }
        )
        publisher_class = next(
            getattr(package, name)
            for name in package.__all__
            if name.endswith("Publisher")
            and getattr(package, name).__module__ == spec.model.__module__
        )
        messages = list(samples(spec, 3))
        async with PubSubBroker(project_id=project, topics=package.TOPICS) as broker:
            publisher = publisher_class(broker)
            first = await publisher.publish(messages[0], attributes={"k": "v"})
            rest = await publisher.publish_many(messages[1:])
        assert isinstance(first, str) and first
        assert len(rest) == 2 and all(isinstance(i, str) and i for i in rest)
