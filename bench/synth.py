"""Synthesised schema folders for the generator comparison: varied, realistic, deterministic.

Avro records mix primitives, enums, logical types (uuid, timestamp-millis, date, decimal),
arrays, maps, nullable unions and nested records; JSON Schemas mix formats, enums, bounds,
nullable types, arrays, nested objects and ``$defs`` references.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

_DOMAINS = (
    "billing",
    "orders",
    "shipping",
    "catalog",
    "identity",
    "payments",
    "support",
    "inventory",
    "marketing",
    "loyalty",
)
_ENTITIES = (
    "invoice",
    "order",
    "parcel",
    "product",
    "account",
    "refund",
    "ticket",
    "stock",
    "campaign",
    "voucher",
)
_EVENTS = (
    "created",
    "updated",
    "cancelled",
    "approved",
    "archived",
    "expired",
    "merged",
    "reopened",
    "exported",
    "flagged",
)
_WORDS = (
    "amount",
    "status",
    "owner",
    "region",
    "label",
    "reference",
    "source",
    "priority",
    "channel",
    "reason",
    "quantity",
    "weight",
    "score",
    "comment",
    "version",
    "locale",
)


def topic_names(count: int) -> list[str]:
    """``count`` distinct names like ``billing_invoice_created``."""
    names = [f"{d}_{e}_{v}" for d in _DOMAINS for e in _ENTITIES for v in _EVENTS]
    random.Random(7).shuffle(names)
    return sorted(names[:count])


def _camel(words: list[str]) -> str:
    return words[0] + "".join(w.title() for w in words[1:])


def _pascal(name: str) -> str:
    return "".join(part.title() for part in name.split("_"))


def _avro_field_type(rng: random.Random, prefix: str, depth: int, counter: list[int]) -> Any:
    counter[0] += 1
    kind = rng.choice(
        (
            "string",
            "long",
            "int",
            "double",
            "boolean",
            "enum",
            "uuid",
            "timestamp",
            "date",
            "decimal",
            "array",
            "map",
            "nullable",
            "record",
            "records",
        )
    )
    if kind in ("string", "long", "int", "double", "boolean"):
        return kind
    if kind == "enum":
        symbols = rng.sample(["NEW", "OPEN", "DONE", "HIGH", "LOW", "RED", "GREEN", "BLUE"], 3)
        return {"type": "enum", "name": f"{prefix}Kind{counter[0]}", "symbols": sorted(symbols)}
    if kind == "uuid":
        return {"type": "string", "logicalType": "uuid"}
    if kind == "timestamp":
        return {"type": "long", "logicalType": "timestamp-millis"}
    if kind == "date":
        return {"type": "int", "logicalType": "date"}
    if kind == "decimal":
        return {"type": "bytes", "logicalType": "decimal", "precision": 12, "scale": 2}
    if kind == "array":
        return {"type": "array", "items": "string"}
    if kind == "map":
        return {"type": "map", "values": rng.choice(["string", "long"])}
    if kind == "nullable" or depth >= 2:
        return ["null", rng.choice(["string", "long", "double"])]
    nested = _avro_record(rng, f"{prefix}Part{counter[0]}", depth + 1, counter, rng.randint(2, 5))
    if kind == "records":
        return {"type": "array", "items": nested}
    return ["null", nested] if rng.random() < 0.5 else nested


def _avro_record(
    rng: random.Random, name: str, depth: int, counter: list[int], size: int
) -> dict[str, Any]:
    words = rng.sample(_WORDS, size)
    fields = []
    for index, word in enumerate(words):
        field_type = _avro_field_type(rng, name, depth, counter)
        field: dict[str, Any] = {
            "name": _camel([word, "value"]) if index % 3 else word,
            "type": field_type,
        }
        if isinstance(field_type, list) and field_type[0] == "null":
            field["default"] = None
        fields.append(field)
    return {"type": "record", "name": name, "fields": fields}


def avro_schema(name: str, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    record = _avro_record(rng, _pascal(name), 0, [0], rng.randint(6, 14))
    record["namespace"] = f"com.example.{name.split('_')[0]}"
    record["doc"] = f"Event {name.replace('_', ' ')}."
    record["fields"].insert(
        0, {"name": "eventId", "type": {"type": "string", "logicalType": "uuid"}}
    )
    return record


def _json_property(rng: random.Random, depth: int, defs: dict[str, Any]) -> dict[str, Any]:
    kind = rng.choice(
        (
            "string",
            "integer",
            "number",
            "boolean",
            "enum",
            "datetime",
            "uuid",
            "array",
            "nullable",
            "object",
            "ref",
            "bounded",
        )
    )
    if kind in ("string", "integer", "number", "boolean"):
        return {"type": kind}
    if kind == "enum":
        return {"type": "string", "enum": sorted(rng.sample(["a", "b", "c", "d", "e"], 3))}
    if kind == "datetime":
        return {"type": "string", "format": "date-time"}
    if kind == "uuid":
        return {"type": "string", "format": "uuid"}
    if kind == "array":
        return {"type": "array", "items": {"type": rng.choice(["string", "integer"])}}
    if kind == "bounded":
        return {"type": "integer", "minimum": 0, "maximum": 10_000}
    if kind == "nullable" or depth >= 2:
        return {"type": [rng.choice(["string", "number"]), "null"]}
    if kind == "ref":
        name = f"Part{len(defs) + 1}"
        defs[name] = _json_object(rng, depth + 1, defs, rng.randint(2, 4))
        return {"$ref": f"#/$defs/{name}"}
    return _json_object(rng, depth + 1, defs, rng.randint(2, 4))


def _json_object(rng: random.Random, depth: int, defs: dict[str, Any], size: int) -> dict[str, Any]:
    words = rng.sample(_WORDS, size)
    properties = {word: _json_property(rng, depth, defs) for word in words}
    required = sorted(w for w in words if rng.random() < 0.6)
    return {
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


def json_schema(name: str, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    defs: dict[str, Any] = {}
    root = _json_object(rng, 0, defs, rng.randint(6, 14))
    root["properties"] = {"eventId": {"type": "string", "format": "uuid"}, **root["properties"]}
    root["required"] = ["eventId", *root["required"]]
    document = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": _pascal(name),
        "description": f"Event {name.replace('_', ' ')}.",
        **root,
    }
    if defs:
        document["$defs"] = defs
    return document


def write_schemas(folder: Path, avro: int, json_count: int) -> tuple[Path, Path]:
    """Write ``avro`` .avsc and ``json_count`` .json files into ``folder/all``; the JSON ones
    also into ``folder/json`` (datamodel-codegen's input). Returns both folders."""
    everything, json_only = folder / "all", folder / "json"
    everything.mkdir(parents=True)
    json_only.mkdir(parents=True)
    names = topic_names(avro + json_count)
    for seed, name in enumerate(names[:avro]):
        (everything / f"{name}.avsc").write_text(json.dumps(avro_schema(name, seed), indent=2))
    for seed, name in enumerate(names[avro:], start=avro):
        text = json.dumps(json_schema(name, seed), indent=2)
        (everything / f"{name}.json").write_text(text)
        (json_only / f"{name}.json").write_text(text)
    return everything, json_only
