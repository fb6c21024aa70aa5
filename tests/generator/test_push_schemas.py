"""``pubsub-gen push-schemas`` against the real Pub/Sub emulator."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import fastavro
import pytest
from click.testing import CliRunner
from google.api_core import exceptions
from google.cloud import pubsub_v1
from google.protobuf import field_mask_pb2
from google.pubsub_v1 import types

from pubsub_gen.cli import push_schemas

pytestmark = pytest.mark.emulator


def _order(*statuses: str) -> dict[str, Any]:
    return {
        "type": "record",
        "name": "Order",
        "namespace": "shop",
        "fields": [
            {"name": "id", "type": "string"},
            {
                "name": "status",
                "type": {"type": "enum", "name": "Status", "symbols": list(statuses)},
            },
            {"name": "note", "type": ["null", "string"], "default": None},
        ],
    }


class Service:
    """A temporary service folder whose ``orders`` topic has a unique name."""

    def __init__(self, root: Path, topic: str, project_id: str) -> None:
        self.root, self.topic, self.project_id = root, topic, project_id
        (root / "schemas").mkdir()
        self.configure()
        self.write_orders(_order("NEW", "PAID"))

    def configure(self, **settings: str) -> None:
        lines = [f'{key} = "{value}"' for key, value in {"topic": self.topic, **settings}.items()]
        (self.root / "pyproject.toml").write_text(
            '[tool.pubsub-gen]\nschemas = "schemas"\n\n[tool.pubsub-gen.topics.orders]\n'
            + "\n".join(lines)
            + "\n"
        )

    def write_orders(self, schema: dict[str, Any]) -> None:
        (self.root / "schemas" / "orders.avsc").write_text(json.dumps(schema, indent=2))

    def push(self, *args: str) -> tuple[int, list[str], str]:
        result = CliRunner().invoke(push_schemas, ["schemas", "--project", self.project_id, *args])
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result.exit_code, result.stdout.splitlines(), result.stderr

    @property
    def schema_path(self) -> str:
        return f"projects/{self.project_id}/schemas/{self.topic}"

    @property
    def topic_path(self) -> str:
        return f"projects/{self.project_id}/topics/{self.topic}"


@pytest.fixture
def schemas_client(pubsub_emulator: Any) -> Iterator[pubsub_v1.SchemaServiceClient]:
    client = pubsub_v1.SchemaServiceClient()
    yield client
    client.transport.close()


@pytest.fixture
def publisher(pubsub_emulator: Any) -> Iterator[pubsub_v1.PublisherClient]:
    client = pubsub_v1.PublisherClient()
    yield client
    client.transport.close()


@pytest.fixture
def service(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    pubsub_emulator: Any,
    unique_name: Callable[[str], str],
) -> Service:
    monkeypatch.chdir(tmp_path)
    return Service(tmp_path, unique_name("orders"), pubsub_emulator.project_id)


def _revisions(client: pubsub_v1.SchemaServiceClient, name: str) -> list[str]:
    return [r.revision_id for r in client.list_schema_revisions(request={"name": name})]


def _publish(publisher: pubsub_v1.PublisherClient, topic: str, message: dict[str, Any]) -> str:
    return str(publisher.publish(topic, json.dumps(message).encode()).result(timeout=30))


def test_the_first_push_creates_the_schema_and_the_bound_topic(
    service: Service,
    schemas_client: pubsub_v1.SchemaServiceClient,
    publisher: pubsub_v1.PublisherClient,
) -> None:
    code, lines, _ = service.push()
    assert code == 0
    assert [line.split()[:2] for line in lines] == [
        ["create-schema", service.schema_path],
        ["create-topic", service.topic_path],
    ]
    schema = schemas_client.get_schema(name=service.schema_path)
    assert schema.type_ == types.Schema.Type.AVRO
    assert json.loads(schema.definition) == _order("NEW", "PAID")
    settings = publisher.get_topic(topic=service.topic_path).schema_settings
    assert (settings.schema, settings.encoding) == (service.schema_path, types.Encoding.JSON)
    message = {"id": "o-1", "status": "PAID", "note": {"string": "hi"}}
    assert _publish(publisher, service.topic_path, message)


def test_a_second_push_without_changes_does_nothing(
    service: Service, schemas_client: pubsub_v1.SchemaServiceClient
) -> None:
    assert service.push()[0] == 0
    before = _revisions(schemas_client, service.schema_path)
    code, lines, _ = service.push()
    assert code == 0
    assert [line.split()[0] for line in lines] == ["unchanged-schema", "unchanged-topic"]
    assert _revisions(schemas_client, service.schema_path) == before
    # Formatting is not a change: the definition is compared as parsed JSON.
    (service.root / "schemas" / "orders.avsc").write_text(json.dumps(_order("NEW", "PAID")))
    assert service.push()[1][0].startswith("unchanged-schema")


def test_a_changed_schema_becomes_a_revision_that_the_topic_accepts(
    service: Service,
    schemas_client: pubsub_v1.SchemaServiceClient,
    publisher: pubsub_v1.PublisherClient,
) -> None:
    assert service.push()[0] == 0
    voided = {"id": "o-2", "status": "VOID", "note": None}
    with pytest.raises(exceptions.InvalidArgument):
        _publish(publisher, service.topic_path, voided)  # VOID is not a symbol yet

    service.write_orders(_order("NEW", "PAID", "VOID"))
    code, lines, _ = service.push()
    assert code == 0
    assert lines[0].startswith(f"commit-revision {service.schema_path} (revision ")
    revisions = _revisions(schemas_client, service.schema_path)
    assert len(revisions) == 2
    assert revisions[-1] in lines[0]
    # both revisions are in the lock file: the topic accepts the range of them
    assert lines[1] == (
        f"bind-topic {service.topic_path} (schema {service.topic}, encoding JSON, "
        f"revisions {revisions[0]}..{revisions[1]})"
    )
    settings = publisher.get_topic(topic=service.topic_path).schema_settings
    assert (settings.first_revision_id, settings.last_revision_id) == tuple(revisions)
    assert _publish(publisher, service.topic_path, voided)
    recorded = json.loads((service.root / "pubsub-gen.lock").read_text())["topics"][service.topic]
    assert [r["revision_id"] for r in recorded] == revisions


def test_dry_run_prints_the_plan_and_changes_nothing(
    service: Service,
    schemas_client: pubsub_v1.SchemaServiceClient,
    publisher: pubsub_v1.PublisherClient,
) -> None:
    code, lines, err = service.push("--dry-run")
    assert code == 0
    assert [line.split()[:2] for line in lines] == [
        ["create-schema", service.schema_path],
        ["create-topic", service.topic_path],
    ]
    assert "nothing was changed" in err
    with pytest.raises(exceptions.NotFound):
        schemas_client.get_schema(name=service.schema_path)
    with pytest.raises(exceptions.NotFound):
        publisher.get_topic(topic=service.topic_path)

    assert service.push()[0] == 0
    service.write_orders(_order("NEW", "PAID", "VOID"))
    code, lines, _ = service.push("--dry-run")
    assert code == 0
    assert lines[0] == f"commit-revision {service.schema_path} (definition changed)"
    assert len(_revisions(schemas_client, service.schema_path)) == 1


def test_an_existing_topic_without_schema_gets_bound_with_the_configured_encoding(
    service: Service, publisher: pubsub_v1.PublisherClient
) -> None:
    publisher.create_topic(name=service.topic_path)
    service.configure(encoding="binary")
    code, lines, _ = service.push()
    assert code == 0
    assert lines[1].startswith(f"bind-topic {service.topic_path}")
    settings = publisher.get_topic(topic=service.topic_path).schema_settings
    assert (settings.schema, settings.encoding) == (service.schema_path, types.Encoding.BINARY)

    parsed = fastavro.parse_schema(_order("NEW", "PAID"))
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, parsed, {"id": "o-3", "status": "NEW", "note": None})
    assert publisher.publish(service.topic_path, buffer.getvalue()).result(timeout=30)


def test_a_capped_revision_range_is_moved_to_the_new_revision(
    service: Service,
    schemas_client: pubsub_v1.SchemaServiceClient,
    publisher: pubsub_v1.PublisherClient,
) -> None:
    assert service.push()[0] == 0
    first = _revisions(schemas_client, service.schema_path)[0]
    publisher.update_topic(
        request={
            "topic": {
                "name": service.topic_path,
                "schema_settings": {
                    "schema": service.schema_path,
                    "encoding": types.Encoding.JSON,
                    "first_revision_id": first,
                    "last_revision_id": first,
                },
            },
            "update_mask": field_mask_pb2.FieldMask(paths=["schema_settings"]),
        }
    )
    service.write_orders(_order("NEW", "PAID", "VOID"))
    code, lines, _ = service.push()
    assert code == 0
    latest = _revisions(schemas_client, service.schema_path)[-1]
    assert lines[1].startswith(f"bind-topic {service.topic_path}")
    settings = publisher.get_topic(topic=service.topic_path).schema_settings
    assert (settings.first_revision_id, settings.last_revision_id) == (first, latest)


def test_json_schema_topics_are_skipped(service: Service) -> None:
    (service.root / "schemas" / "signups.json").write_text(
        json.dumps({"type": "object", "properties": {"email": {"type": "string"}}})
    )
    code, lines, _ = service.push("--dry-run")
    assert code == 0
    assert any(line.startswith("skip-topic signups") for line in lines)


def test_a_project_is_required(service: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PUBSUB_PROJECT_ID", raising=False)
    monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)
    result = CliRunner().invoke(push_schemas, ["schemas"])
    assert result.exit_code == 2
    assert "--project" in result.stderr
