"""``pubsub-gen asyncapi``: an AsyncAPI 3.0.0 document of the topics and the service's operations.

- one channel per topic (``address`` = the Pub/Sub topic name) carrying one message;
- each message's payload is a Multi Format Schema in ``components.schemas``: Avro schemas as
  ``application/vnd.apache.avro+json;version=1.9.0``, JSON Schemas as
  ``application/schema+json;version=<draft>``;
- a ``send`` operation per topic (its generated publisher) and a ``receive`` operation per
  configured subscription (its handler stub).

Embedded JSON Schemas keep their content, with two changes that let AsyncAPI tools resolve them
inside this document: local ``$ref``s (``#/$defs/X``) are rewritten to point at the schema's new
place (``#/components/schemas/<Name>/schema/$defs/X``), and ``$id`` is dropped (it would make
those references resolve against another base).

The document is deterministic: topics in name order, keys in a fixed order, no YAML anchors.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from pubsub_gen import ir
from pubsub_gen.config import Config
from pubsub_gen.naming import schema_id

ASYNCAPI_VERSION = "3.0.0"
AVRO_FORMAT = "application/vnd.apache.avro+json;version=1.9.0"
_JSON_FORMAT = "application/schema+json;version={}"
_DRAFTS = {"draft-07": "draft-07", "draft/2020-12": "2020-12", "draft/2019-09": "2019-09"}
_KEY_UNSAFE = re.compile(r"[^\w.\-]")
PUBSUB_HOST = "pubsub.googleapis.com"
_BINDING_VERSION = "0.2.0"
_AVRO_NAMED = frozenset({"record", "error", "enum", "fixed"})


def _key(text: str, taken: set[str]) -> str:
    """A component / channel / operation key (``^[\\w\\d.\\-_]+$``), unique among ``taken``."""
    base = _KEY_UNSAFE.sub("_", text) or "x"
    key, n = base, 1
    while key in taken:
        n += 1
        key = f"{base}_{n}"
    taken.add(key)
    return key


def _json_format(document: Mapping[str, Any]) -> str:
    uri = document.get("$schema")
    if isinstance(uri, str):
        for marker, version in _DRAFTS.items():
            if marker in uri:
                return _JSON_FORMAT.format(version)
    # No $schema: the generator reads the document as 2020-12.
    return _JSON_FORMAT.format("2020-12")


def _rebase_refs(node: Any, base: str) -> Any:
    """A copy of ``node`` whose local ``$ref``s point under ``base`` (a JSON pointer)."""
    if isinstance(node, dict):
        copy = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith("#"):
                copy[key] = base + value[1:]
            else:
                copy[key] = _rebase_refs(value, base)
        return copy
    if isinstance(node, list):
        return [_rebase_refs(item, base) for item in node]
    return node


def _split_full_names(node: Any) -> Any:
    """A copy where a named type's dotted ``name`` becomes ``name`` + ``namespace``.

    Same meaning in Avro (a dotted name overrides any namespace), and the form the AsyncAPI
    Avro schema accepts: its ``name`` pattern has no dots.
    """
    if isinstance(node, list):
        return [_split_full_names(item) for item in node]
    if not isinstance(node, dict):
        return node
    # Defaults are data, not schemas: they stay as written.
    copy = {k: v if k == "default" else _split_full_names(v) for k, v in node.items()}
    name, kind = node.get("name"), node.get("type")
    if isinstance(kind, str) and kind in _AVRO_NAMED and isinstance(name, str) and "." in name:
        namespace, short = name.rsplit(".", 1)
        copy["name"], copy["namespace"] = short, namespace
    return copy


def _payload_schema(topic: ir.Topic, schema_key: str) -> dict[str, Any]:
    document = json.loads(topic.definition)
    if topic.schema_type == "AVRO":
        return {"schemaFormat": AVRO_FORMAT, "schema": _split_full_names(document)}
    if isinstance(document, dict):
        document = {k: v for k, v in document.items() if k != "$id"}
        schema_format = _json_format(document)
    else:
        schema_format = _JSON_FORMAT.format("2020-12")
    pointer = "#/components/schemas/" + schema_key + "/schema"
    return {"schemaFormat": schema_format, "schema": _rebase_refs(document, pointer)}


def _description(topic: ir.Topic) -> str | None:
    document = json.loads(topic.definition)
    if isinstance(document, dict):
        text = document.get("doc") or document.get("description")
        if isinstance(text, str) and text.strip():
            return text.strip()
    return None


def _content_type(topic: ir.Topic) -> str:
    if topic.schema_type == "AVRO" and topic.encoding == "BINARY":
        return "avro/binary"
    return "application/json"


def build_document(
    project: ir.Project,
    *,
    title: str,
    version: str,
    project_id: str | None = None,
) -> dict[str, Any]:
    """The AsyncAPI document as plain data (dicts keep the order they are written in)."""
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    channel_keys: set[str] = set()
    operation_keys: set[str] = set()
    message_keys: set[str] = set()
    for topic in sorted(project.topics, key=lambda t: t.name):
        channel_key = _key(topic.name, channel_keys)
        message_key = _key(topic.payload_class, message_keys)
        schemas[message_key] = _payload_schema(topic, message_key)
        message: dict[str, Any] = {
            "name": topic.payload_class,
            "title": topic.payload_class,
        }
        description = _description(topic)
        if description:
            message["description"] = description
        message["contentType"] = _content_type(topic)
        message["payload"] = {"$ref": f"#/components/schemas/{message_key}"}
        channel: dict[str, Any] = {
            "address": topic.name,
            "title": topic.name,
            "messages": {message_key: {"$ref": f"#/components/messages/{message_key}"}},
        }
        if topic.schema_type == "AVRO" and project_id:
            schema_name = f"projects/{project_id}/schemas/{schema_id(topic)}"
            channel["bindings"] = {
                "googlepubsub": {
                    "bindingVersion": _BINDING_VERSION,
                    "schemaSettings": {"encoding": topic.encoding.lower(), "name": schema_name},
                }
            }
            message["bindings"] = {
                "googlepubsub": {
                    "bindingVersion": _BINDING_VERSION,
                    "schema": {"name": schema_name},
                }
            }
        messages[message_key] = message
        channels[channel_key] = channel
        channel_ref = {"$ref": f"#/channels/{channel_key}"}
        message_ref = {"$ref": f"#/channels/{channel_key}/messages/{message_key}"}
        operations[_key(f"publish_{topic.name}", operation_keys)] = {
            "action": "send",
            "channel": dict(channel_ref),
            "title": f"Publish {topic.payload_class}",
            "summary": f"{topic.publisher_class}(broker).publish(...) sends to {topic.name}.",
            "messages": [dict(message_ref)],
        }
        for subscription in topic.subscriptions:
            operations[_key(f"receive_{subscription}", operation_keys)] = {
                "action": "receive",
                "channel": dict(channel_ref),
                "title": f"Handle {topic.payload_class}",
                "summary": f"The handler of subscription {subscription} on {topic.name}.",
                "messages": [dict(message_ref)],
                "x-pubsub-subscription": subscription,
            }
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": title,
            "version": version,
            "description": (
                f"Google Cloud Pub/Sub topics of the `{project.package}` package, "
                f"generated by pubsub-gen from `{project.schemas_display}`."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {
            "pubsub": {
                "host": PUBSUB_HOST,
                "protocol": "googlepubsub",
                "description": "Google Cloud Pub/Sub.",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {"schemas": schemas, "messages": messages},
    }


def project_metadata(config: Config) -> tuple[str, str]:
    """The document's title and version: ``[project]`` name and version, else the package."""
    table: Mapping[str, Any] = {}
    if config.pyproject is not None and config.pyproject.is_file():
        data = tomllib.loads(config.pyproject.read_text(encoding="utf-8"))
        table = data.get("project", {})
    title = table.get("name") if isinstance(table.get("name"), str) else None
    version = table.get("version") if isinstance(table.get("version"), str) else None
    return title or config.package, version or "1.0.0"


def to_yaml(document: Mapping[str, Any]) -> str:
    header = "# Generated by pubsub-gen asyncapi. DO NOT EDIT.\n"
    # A JSON round trip leaves no shared objects, so the YAML has no anchors or aliases.
    tree = json.loads(json.dumps(document))
    body = yaml.safe_dump(
        tree, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100
    )
    return header + str(body)


def render(document: Mapping[str, Any], out: Path | None) -> str:
    """YAML, or JSON when ``out`` ends in ``.json``."""
    if out is not None and out.suffix == ".json":
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    return to_yaml(document)


def write_if_changed(path: Path, text: str) -> bool:
    """Write ``text`` unless the file already holds it (mtimes stay put); True when written."""
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return True
