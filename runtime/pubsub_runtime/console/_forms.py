"""A publish form from a topic model's JSON Schema: one input per top-level property.

Each field carries the constraints the browser can check itself (required, min/max, lengths,
pattern, enum choices); what a plain input cannot hold (objects, arrays, unions) is a JSON text
area that the page parses before sending. The codec checks everything again on the server.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["ROOT", "FormField", "form_fields"]

ROOT = "__root__"  # the one field of a model whose schema is not an object (a RootModel)

Kind = Literal["text", "integer", "number", "boolean", "enum", "json"]


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    kind: Kind
    required: bool
    nullable: bool
    description: str = ""
    choices: tuple[str, ...] = ()
    html: dict[str, str] = field(default_factory=dict)  # HTML constraint attributes
    default: str = ""


def form_fields(schema: dict[str, Any]) -> list[FormField]:
    """The fields of an object schema (as ``model_json_schema()`` gives it); for any other
    schema (an enum, an array: a ``RootModel``) one field named ``ROOT`` holding the value."""
    definitions = schema.get("$defs", {})
    if "properties" not in schema:
        prop, nullable = _unwrap(_resolve(schema, definitions), definitions)
        kind = _kind(prop)
        return [
            FormField(
                name=ROOT,
                label=str(schema.get("title") or "Value"),
                kind=kind,
                required=True,
                nullable=nullable,
                description=str(prop.get("description") or ""),
                choices=tuple(str(c) for c in prop.get("enum", ())),
                html=_constraints(prop, kind, True),
            )
        ]
    required = set(schema.get("required", []))
    fields = []
    for name, raw in schema.get("properties", {}).items():
        prop, nullable = _unwrap(_resolve(raw, definitions), definitions)
        kind = _kind(prop)
        fields.append(
            FormField(
                name=name,
                label=str(raw.get("title") or prop.get("title") or name),
                kind=kind,
                required=name in required,
                nullable=nullable,
                description=str(raw.get("description") or prop.get("description") or ""),
                choices=tuple(str(c) for c in prop.get("enum", ())),
                html=_constraints(prop, kind, name in required),
                default=_default(raw.get("default", prop.get("default")), kind),
            )
        )
    return fields


def _resolve(prop: dict[str, Any], definitions: dict[str, Any]) -> dict[str, Any]:
    ref = prop.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        return {**definitions.get(ref.removeprefix("#/$defs/"), {}), **_without(prop, "$ref")}
    return prop


def _without(prop: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in prop.items() if k != key}


def _unwrap(prop: dict[str, Any], definitions: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """``anyOf: [X, null]`` -> (X, nullable)."""
    options = prop.get("anyOf")
    if isinstance(options, list):
        rest = [o for o in options if o.get("type") != "null"]
        if len(rest) == 1 and len(rest) < len(options):
            return _resolve(rest[0], definitions), True
    types = prop.get("type")
    if isinstance(types, list) and "null" in types and len(types) == 2:
        (other,) = [t for t in types if t != "null"]
        return {**prop, "type": other}, True
    return prop, False


def _kind(prop: dict[str, Any]) -> Kind:
    if "enum" in prop and all(isinstance(c, str) for c in prop["enum"]):
        return "enum"
    simple: dict[Any, Kind] = {
        "string": "text",
        "integer": "integer",
        "number": "number",
        "boolean": "boolean",
    }
    return simple.get(prop.get("type"), "json")


def _constraints(prop: dict[str, Any], kind: Kind, required: bool) -> dict[str, str]:
    html: dict[str, str] = {}
    if required and kind != "boolean":
        html["required"] = ""
    if kind == "text":
        for key, attribute in (("minLength", "minlength"), ("maxLength", "maxlength")):
            if key in prop:
                html[attribute] = str(prop[key])
        if "pattern" in prop:
            html["pattern"] = str(prop["pattern"])
    if kind in ("integer", "number"):
        html["step"] = "1" if kind == "integer" else "any"
        if "minimum" in prop:
            html["min"] = str(prop["minimum"])
        if "maximum" in prop:
            html["max"] = str(prop["maximum"])
        # Exclusive bounds: the browser checks the inclusive neighbour of an integer bound.
        if "exclusiveMinimum" in prop and kind == "integer":
            html["min"] = str(int(prop["exclusiveMinimum"]) + 1)
        if "exclusiveMaximum" in prop and kind == "integer":
            html["max"] = str(int(prop["exclusiveMaximum"]) - 1)
    return html


def _default(value: Any, kind: Kind) -> str:
    if value is None:
        return ""
    if kind == "json":
        return json.dumps(value)
    if kind == "boolean":
        return "true" if value else ""
    return str(value)
