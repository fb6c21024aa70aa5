"""End to end on the emulator: Pub/Sub's schema validator judges what the generated code sends.

For every Avro topic of ``schemas/``, in both encodings, a topic bound to its schema in the
emulator's registry accepts the sample message from the generated publisher, and handlers on a
real ``PubSubBroker`` receive a model equal to it. JSON Schema topics (Pub/Sub has no registry
for them) make the same round trip without a binding.

The example schemas are generated once per encoding into a temporary folder, every topic
renamed to a name of its own (the emulator misbehaves when names are reused).

No ``from __future__ import annotations`` here: the handlers are annotated with models known
only at run time, and the broker reads the annotations.
"""

import asyncio
import contextlib
import importlib
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from google.api_core.exceptions import InvalidArgument
from google.pubsub_v1 import Encoding, PublisherClient, Schema, SchemaServiceClient, SchemaSettings

import pubsub_gen
from pubsub_runtime import Message, PubSubBroker, TopicSpec
from pubsub_runtime.testing import Emulator

pytestmark = pytest.mark.emulator

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "schemas"
AVRO_STEMS = sorted(path.stem for path in SCHEMAS.glob("*.avsc"))
JSON_STEMS = sorted(path.stem for path in SCHEMAS.glob("*.json"))
WAIT = 30.0  # guards against a hang only


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, ModuleType]]:
    """encoding -> the example package generated with that encoding and unique topic names."""
    out = tmp_path_factory.mktemp("e2e")
    run = uuid.uuid4().hex[:8]
    packages = {}
    for encoding in ("json", "binary"):
        stems = AVRO_STEMS + (JSON_STEMS if encoding == "json" else [])
        topics = {
            stem: {"topic": f"e2e-{stem}-{encoding}-{run}"}
            | ({"encoding": encoding} if stem in AVRO_STEMS else {})
            for stem in stems
        }
        # Copies outside the repository: the revision lock file of these renamed topics goes
        # to the working folder set here, not into the repository's pubsub-gen.lock.
        schemas = out / f"{encoding}-schemas"
        schemas.mkdir()
        for stem in stems:  # binary: JSON Schema topics are JSON only, so they are left out
            suffix = ".avsc" if stem in AVRO_STEMS else ".json"
            (schemas / f"{stem}{suffix}").write_bytes((SCHEMAS / f"{stem}{suffix}").read_bytes())
        package = f"e2e_{encoding}_events"
        with contextlib.chdir(out):
            pubsub_gen.generate(schemas, out, package=package, topics=topics)
        packages[encoding] = package
    sys.path.insert(0, str(out))
    try:
        yield {encoding: importlib.import_module(name) for encoding, name in packages.items()}
    finally:
        sys.path.remove(str(out))
        for name in [n for n in sys.modules if n.startswith("e2e_")]:
            del sys.modules[name]


def topic_parts(package: ModuleType, stem: str) -> tuple[TopicSpec[Any], type[Any], Any]:
    """(TopicSpec, publisher class, sample message) of the topic of schema ``stem``."""
    spec = next(s for s in package.TOPICS.values() if s.name.startswith(f"e2e-{stem}-"))
    module_name = spec.model.__module__.rsplit(".", 1)[1]
    topic_module = importlib.import_module(spec.model.__module__)
    samples = importlib.import_module(f"{package.__name__}.samples")
    publisher = next(v for k, v in vars(topic_module).items() if k.endswith("Publisher"))
    return spec, publisher, getattr(samples, f"sample_{module_name}")()


def bind_topic_to_schema(
    project: str, spec: TopicSpec[Any], schema_id: str, topic: str | None = None
) -> None:
    """Create the topic (``spec.name`` unless ``topic``) bound to the spec's schema and encoding."""
    schema = SchemaServiceClient().create_schema(
        parent=f"projects/{project}",
        schema=Schema(type_=Schema.Type.AVRO, definition=spec.definition),
        schema_id=schema_id,
    )
    PublisherClient().create_topic(
        request={
            "name": f"projects/{project}/topics/{topic or spec.name}",
            "schema_settings": SchemaSettings(schema=schema.name, encoding=Encoding[spec.encoding]),
        }
    )


async def round_trip(
    project: str, package: ModuleType, stem: str, unique_name: Callable[[str], str]
) -> tuple[Any, Any, Message[Any]]:
    """Publish the sample with the generated publisher; returns (sent, model, message) received
    by a handler typed with the model and one typed ``Message[Model]`` on another subscription.
    """
    spec, publisher_class, sent = topic_parts(package, stem)
    model = spec.model
    broker = PubSubBroker(project_id=project, topics=package.TOPICS)
    models: asyncio.Queue[Any] = asyncio.Queue()
    messages: asyncio.Queue[Message[Any]] = asyncio.Queue()

    @broker.subscriber("typed", topic_name=spec.name, subscription_name=unique_name("typed"))
    async def on_model(payload: model) -> None:
        await models.put(payload)

    @broker.subscriber("message", topic_name=spec.name, subscription_name=unique_name("msg"))
    async def on_message(message: Message[model]) -> None:
        await messages.put(message)

    async with broker:
        await publisher_class(broker).publish(sent, attributes={"origin": "e2e"})
        received = await asyncio.wait_for(models.get(), WAIT)
        message = await asyncio.wait_for(messages.get(), WAIT)
    return sent, received, message


@pytest.mark.parametrize("encoding", ["json", "binary"])
@pytest.mark.parametrize("stem", AVRO_STEMS)
async def test_a_topic_bound_to_its_avro_schema_accepts_the_publisher_and_handlers_get_the_model(
    pubsub_emulator: Emulator,
    unique_name: Callable[[str], str],
    generated: dict[str, ModuleType],
    stem: str,
    encoding: str,
) -> None:
    package = generated[encoding]
    spec, _, _ = topic_parts(package, stem)
    assert spec.encoding == encoding.upper()
    bind_topic_to_schema(pubsub_emulator.project_id, spec, unique_name("schema"))

    sent, received, message = await round_trip(
        pubsub_emulator.project_id, package, stem, unique_name
    )

    assert type(received) is spec.model
    assert received == sent
    assert message.payload == sent
    assert message.attributes["googclient_schemaencoding"] == encoding.upper()
    assert message.attributes["origin"] == "e2e"


@pytest.mark.parametrize("stem", AVRO_STEMS)
async def test_the_bound_topic_rejects_the_other_encoding(
    pubsub_emulator: Emulator,
    unique_name: Callable[[str], str],
    generated: dict[str, ModuleType],
    stem: str,
) -> None:
    """The judge is real: a payload in the wrong encoding is refused at publish."""
    spec, _, sample = topic_parts(generated["binary"], stem)
    json_spec = TopicSpec(
        name=spec.name,
        model=spec.model,
        schema_type="AVRO",
        encoding="JSON",
        definition=spec.definition,
        named_types=spec.named_types,
    )
    topic = unique_name("binary-only")
    bind_topic_to_schema(pubsub_emulator.project_id, spec, unique_name("schema"), topic)
    async with PubSubBroker(project_id=pubsub_emulator.project_id) as broker:
        assert await broker.publish(topic, data=spec.encode(sample))
        with pytest.raises(InvalidArgument):
            await broker.publish(topic, data=json_spec.encode(sample))


@pytest.mark.parametrize("stem", JSON_STEMS)
async def test_a_json_schema_topic_round_trips_the_sample(
    pubsub_emulator: Emulator,
    unique_name: Callable[[str], str],
    generated: dict[str, ModuleType],
    stem: str,
) -> None:
    package = generated["json"]
    sent, received, message = await round_trip(
        pubsub_emulator.project_id, package, stem, unique_name
    )
    spec, _, _ = topic_parts(package, stem)
    assert type(received) is spec.model
    assert received == sent
    assert message.payload == sent
    assert message.attributes["content-type"] == "application/json"
