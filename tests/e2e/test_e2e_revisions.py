"""The whole schema-evolution flow on the emulator, for JSON and BINARY topics.

push-schemas (revision 1), publish with the revision-1 package, change the schema (a field
removed and one added with a default, an enum symbol added with a reader default, a field
renamed with an alias), pubsub-gen, push-schemas (revision 2), publish with the revision-2
package. A subscriber of the revision-2 package gets both messages as Avro resolution reads
them; one of the revision-1 package (old code) reads the revision-2 message through a registry
lookup. The judge is fastavro's reader/writer resolution.

No ``from __future__ import annotations``: handlers are annotated with run-time models.
"""

import asyncio
import importlib
import io
import json
import logging
import sys
from collections.abc import Callable, Iterator
from enum import StrEnum
from pathlib import Path
from types import ModuleType
from typing import Any

import fastavro
import grpc
import pytest
from click.testing import CliRunner
from fastavro.json_read import json_reader
from google.cloud import pubsub_v1
from google.pubsub_v1 import (
    Encoding,
    Schema,
    SchemaServiceAsyncClient,
    SchemaServiceClient,
    SchemaSettings,
)
from google.pubsub_v1.services.schema_service.transports import SchemaServiceGrpcAsyncIOTransport
from pydantic import BaseModel

import pubsub_gen
from pubsub_gen.cli import push_schemas
from pubsub_runtime import PubSubBroker, TopicSpec, _broker, _revisions
from pubsub_runtime.testing import Emulator

pytestmark = pytest.mark.emulator
WAIT = 30.0


def _status(*symbols: str) -> dict[str, Any]:
    return {"type": "enum", "name": "Status", "symbols": list(symbols), "default": "NEW"}


# Old code must read new messages too (forward), so revision 1 gives its fields defaults.
V1 = {
    "type": "record",
    "name": "Payment",
    "namespace": "shop",
    "fields": [
        {"name": "id", "type": "string"},
        {"name": "seq", "type": "long", "default": 0},
        {"name": "amount", "type": "long", "default": 0},
        {"name": "status", "type": _status("NEW", "PAID")},
    ],
}
V2 = {
    "type": "record",
    "name": "Payment",
    "namespace": "shop",
    "fields": [
        {"name": "id", "type": "string"},
        {"name": "total", "type": "long", "aliases": ["amount"]},
        {"name": "status", "type": _status("NEW", "PAID", "VOID")},
        {"name": "channel", "type": "string", "default": "web"},
    ],
}


def _resolved(encoding: str, writer: dict[str, Any], reader: dict[str, Any], data: bytes) -> Any:
    """What fastavro's own resolution reads from ``data`` (the judge)."""
    if encoding == "binary":
        return fastavro.schemaless_reader(io.BytesIO(data), writer, reader)
    return next(iter(json_reader(io.StringIO(data.decode()), writer, reader)))


class Project:
    """A service folder whose one topic evolves; packages are generated side by side."""

    def __init__(self, root: Path, topic: str, encoding: str, project_id: str) -> None:
        self.root, self.topic, self.encoding, self.project_id = root, topic, encoding, project_id
        (root / "schemas").mkdir()
        (root / "pyproject.toml").write_text(
            '[tool.pubsub-gen]\nschemas = "schemas"\n\n'
            f'[tool.pubsub-gen.topics.payment]\ntopic = "{topic}"\nencoding = "{encoding}"\n'
        )

    def write(self, schema: dict[str, Any]) -> None:
        (self.root / "schemas" / "payment.avsc").write_text(json.dumps(schema, indent=2))

    def push(self) -> list[str]:
        result = CliRunner().invoke(push_schemas, ["schemas", "--project", self.project_id])
        assert result.exit_code == 0, result.output
        return result.stdout.splitlines()

    def generate(self, package: str) -> ModuleType:
        pubsub_gen.generate(self.root / "schemas", self.root / "out", package=package)
        importlib.invalidate_caches()
        sys.path_importer_cache.pop(str(self.root / "out"), None)
        return importlib.import_module(package)


@pytest.fixture
def out_path(tmp_path: Path) -> Iterator[Path]:
    sys.path.insert(0, str(tmp_path / "out"))
    try:
        yield tmp_path
    finally:
        sys.path.remove(str(tmp_path / "out"))
        for name in [n for n in sys.modules if n.startswith("revisions_")]:
            del sys.modules[name]


async def _publish(package: ModuleType, project_id: str, topic: str, message: Any) -> None:
    module = importlib.import_module(type(message).__module__)
    publisher = next(v for k, v in vars(module).items() if k.endswith("Publisher"))
    async with PubSubBroker(project_id=project_id, topics=package.TOPICS) as broker:
        await publisher(broker).publish(message)


async def _receive(
    package: ModuleType, project_id: str, topic: str, subscription: str, count: int
) -> list[Any]:
    broker = PubSubBroker(project_id=project_id, topics=package.TOPICS)
    model = package.TOPICS[topic].model
    received: asyncio.Queue[Any] = asyncio.Queue()

    @broker.subscriber("reader", topic_name=topic, subscription_name=subscription)
    async def on_payment(payment: model) -> None:  # type: ignore[valid-type]
        await received.put(payment)

    async with broker:
        return [await asyncio.wait_for(received.get(), WAIT) for _ in range(count)]


@pytest.mark.parametrize("encoding", ["json", "binary"])
async def test_old_and_new_messages_decode_in_old_and_new_code(
    encoding: str,
    out_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    pubsub_emulator: Emulator,
    unique_name: Callable[[str], str],
) -> None:
    monkeypatch.chdir(out_path)
    project_id = pubsub_emulator.project_id
    project = Project(out_path, unique_name("payments"), encoding, project_id)
    topic = project.topic

    project.write(V1)
    assert [line.split()[0] for line in project.push()] == ["create-schema", "create-topic"]
    old_code = project.generate(f"revisions_v1_{encoding}")
    subscriptions = {"old": unique_name("old-code"), "new": unique_name("new-code")}
    with pubsub_v1.SubscriberClient() as admin:
        for name in subscriptions.values():
            admin.create_subscription(
                name=admin.subscription_path(project_id, name),
                topic=f"projects/{project_id}/topics/{topic}",
            )
    OldPayment = old_code.TOPICS[topic].model
    first = OldPayment(id="p-1", seq=7, amount=250, status="PAID")
    await _publish(old_code, project_id, topic, first)

    project.write(V2)
    new_code = project.generate(f"revisions_v2_{encoding}")
    assert [line.split()[0] for line in project.push()] == ["commit-revision", "bind-topic"]
    NewPayment = new_code.TOPICS[topic].model
    second = NewPayment(id="p-2", total=900, status="VOID", channel="app")
    await _publish(new_code, project_id, topic, second)

    old_spec, new_spec = old_code.TOPICS[topic], new_code.TOPICS[topic]
    first_wire, second_wire = old_spec.encode(first), new_spec.encode(second)

    # new code reads both: revision 1 from the lock file, revision 2 is its own
    by_id = {p.id: p for p in await _receive(new_code, project_id, topic, subscriptions["new"], 2)}
    assert by_id["p-1"].model_dump(mode="json") == _resolved(encoding, V1, V2, first_wire)
    assert by_id["p-1"] == NewPayment(id="p-1", total=250, status="PAID", channel="web")
    assert by_id["p-2"] == second

    # old code reads revision 2 after fetching it from the registry (forward compatibility)
    by_id = {p.id: p for p in await _receive(old_code, project_id, topic, subscriptions["old"], 2)}
    assert by_id["p-1"] == first
    assert by_id["p-2"].model_dump(mode="json") == _resolved(encoding, V2, V1, second_wire)
    assert by_id["p-2"] == OldPayment(id="p-2", seq=0, amount=0, status="NEW")

    # the lock file holds both revisions with their registry ids
    recorded = json.loads((out_path / "pubsub-gen.lock").read_text())["topics"][topic]
    assert len(recorded) == 2 and all(r["revision_id"] for r in recorded)


class Status(StrEnum):
    NEW = "NEW"
    PAID = "PAID"


class OldPayment(BaseModel):
    id: str
    seq: int
    amount: int
    status: Status


def _dead_registry(settings: Any) -> Any:
    """A registry client whose address nothing listens on."""
    channel = grpc.aio.insecure_channel("127.0.0.1:9")
    return SchemaServiceAsyncClient(transport=SchemaServiceGrpcAsyncIOTransport(channel=channel))


async def test_an_unknown_revision_is_nacked_while_the_registry_is_unreachable(
    pubsub_emulator: Emulator,
    unique_name: Callable[[str], str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    project_id = pubsub_emulator.project_id
    schemas = SchemaServiceClient()
    first = schemas.create_schema(
        parent=f"projects/{project_id}",
        schema=Schema(type_=Schema.Type.AVRO, definition=json.dumps(V1)),
        schema_id=unique_name("payments"),
    )
    second = schemas.commit_schema(
        name=first.name,
        schema=Schema(name=first.name, type_=Schema.Type.AVRO, definition=json.dumps(V2)),
    )
    topic = unique_name("payments")
    with pubsub_v1.PublisherClient() as publisher, pubsub_v1.SubscriberClient() as admin:
        path = publisher.topic_path(project_id, topic)
        publisher.create_topic(
            request={
                "name": path,
                "schema_settings": SchemaSettings(
                    schema=first.name,
                    encoding=Encoding.JSON,
                    first_revision_id=first.revision_id,
                    last_revision_id=second.revision_id,
                ),
            }
        )
        subscription = unique_name("old-code")
        admin.create_subscription(
            name=admin.subscription_path(project_id, subscription), topic=path
        )
        newer = {"id": "p-9", "total": 5, "status": "VOID", "channel": "app"}  # revision 2
        publisher.publish(path, json.dumps(newer).encode()).result(timeout=WAIT)

    old_code = TopicSpec(
        name=topic,
        model=OldPayment,
        schema_type="AVRO",
        encoding="JSON",
        definition=json.dumps(V1),
        named_types={"shop.Status": Status},
    )
    broker = PubSubBroker(project_id=project_id, topics={topic: old_code})
    received: asyncio.Queue[OldPayment] = asyncio.Queue()

    @broker.subscriber("old", topic_name=topic, subscription_name=subscription)
    async def on_payment(payment: OldPayment) -> None:
        await received.put(payment)

    monkeypatch.setattr(_revisions, "_TIMEOUT", 0.5)
    caplog.set_level(logging.WARNING, logger="pubsub_runtime")
    with monkeypatch.context() as unreachable:
        unreachable.setattr(_broker, "new_schema_client", _dead_registry)
        async with broker:
            await asyncio.sleep(3)  # redelivered and nacked again and again meanwhile
            assert received.empty()  # never decoded with a guess, never dead-lettered
            lines = [r for r in caplog.records if "cannot fetch schema revision" in r.message]
            assert len(lines) == 1 and second.revision_id in lines[0].getMessage()
            unreachable.undo()  # the registry is back: the next delivery decodes
            payment = await asyncio.wait_for(received.get(), WAIT)
    assert payment == OldPayment(id="p-9", seq=0, amount=0, status=Status.NEW)
