"""check-compat and decode agree: a property test over random schema pairs.

An old record schema is drawn, then a new one by random changes of the usual kinds (fields
added with or without defaults, removed, reordered, renamed with or without an alias, types
promoted or narrowed, enum symbols added with a reader default, unions widened, nested records
grown). Random old messages are written by fastavro (Avro binary and Avro JSON) and decoded
through a ``TopicSpec`` of the new schema that knows the old one as a writer; the judge is
fastavro's own reader/writer resolution. Then the same with the roles swapped (forward).

- where check-compat finds the direction compatible, fastavro's resolution reads every message
  and the decoded model equals what it reads;
- where check-compat finds it incompatible, resolution fails for every message, unless the
  break is one that only some values hit (an enum symbol, a union branch);
- and always: decode raises ``DecodeError`` exactly where fastavro's resolution fails.
"""

from __future__ import annotations

import copy
import io
import json
from enum import StrEnum
from typing import Any

import fastavro
import pytest
from avro_random import AvroRandom
from fastavro.json_read import json_reader
from fastavro.json_write import json_writer
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, create_model

from pubsub_gen.commands.check_compat import Direction, Kind, Mode, compare_documents
from pubsub_runtime import DecodeError, TopicSpec, schema_fingerprint

_PRIMITIVES = ["int", "long", "float", "double", "string", "bytes", "boolean"]
# Avro's promotions (writer -> reader). bytes -> string is left out: it holds only for UTF-8
# content, which random bytes are not.
_PROMOTIONS = {
    "int": ["long", "float", "double"],
    "long": ["float", "double"],
    "float": ["double"],
    "string": ["bytes"],
}
_NARROWINGS = {"long": "int", "double": "float", "string": "int", "int": "string"}
_DEFAULTS = {
    "int": 7,
    "long": 7,
    "float": 1.5,
    "double": 1.5,
    "string": "d",
    "bytes": "\u00ff",
    "boolean": True,
}


@st.composite
def _field_type(draw: st.DrawFn, names: list[str]) -> Any:
    kind = draw(st.sampled_from(["primitive"] * 4 + ["enum", "nullable", "array", "record"]))
    if kind == "primitive":
        return draw(st.sampled_from(_PRIMITIVES))
    if kind == "nullable":
        return ["null", draw(st.sampled_from(_PRIMITIVES))]
    if kind == "array":
        return {"type": "array", "items": draw(st.sampled_from(_PRIMITIVES))}
    name = f"{kind.title()}{len(names)}"
    names.append(name)
    if kind == "enum":
        return {"type": "enum", "name": name, "symbols": ["A", "B", "C"][: draw(st.integers(1, 3))]}
    return {
        "type": "record",
        "name": name,
        "fields": [{"name": "x", "type": draw(st.sampled_from(_PRIMITIVES))}],
    }


@st.composite
def _old_schema(draw: st.DrawFn) -> dict[str, Any]:
    names: list[str] = []
    count = draw(st.integers(1, 4))
    fields = [{"name": f"f{i}", "type": draw(_field_type(names))} for i in range(count)]
    return {"type": "record", "name": "Root", "fields": fields}


def _default_for(node: Any) -> Any:
    if isinstance(node, str):
        return _DEFAULTS[node]
    if isinstance(node, list):
        return None  # ["null", T]: null first
    if node["type"] == "enum":
        return node["symbols"][0]
    if node["type"] == "array":
        return []
    return {f["name"]: _default_for(f["type"]) for f in node["fields"]}


@st.composite
def _changed(draw: st.DrawFn, old: dict[str, Any]) -> dict[str, Any]:
    """A new schema: one to three random changes of ``old``."""
    new = copy.deepcopy(old)
    fields: list[dict[str, Any]] = new["fields"]
    for step in range(draw(st.integers(1, 3))):
        change = draw(
            st.sampled_from(
                [
                    "add-default",
                    "add-required",
                    "remove",
                    "reorder",
                    "rename-alias",
                    "rename",
                    "promote",
                    "narrow",
                    "enum-symbol",
                    "widen-union",
                    "grow-record",
                ]
            )
        )
        index = draw(st.integers(0, len(fields) - 1)) if fields else 0
        if change.startswith("add"):
            kind = draw(st.sampled_from(_PRIMITIVES))
            added: dict[str, Any] = {"name": f"n{step}", "type": kind}
            if change == "add-default":
                added["default"] = _DEFAULTS[kind]
            fields.append(added)
        elif not fields:
            continue
        elif change == "remove" and len(fields) > 1:
            fields.pop(index)
        elif change == "reorder":
            fields.reverse()
        elif change.startswith("rename") and "aliases" not in fields[index]:
            old_name = fields[index]["name"]
            fields[index]["name"] = f"{old_name}_r"
            if change == "rename-alias":
                fields[index]["aliases"] = [old_name]
        elif "default" in fields[index] and change in ("promote", "narrow", "widen-union"):
            continue  # the default was written for the old type: changing it makes no valid schema
        elif change in ("promote", "narrow") and isinstance(fields[index]["type"], str):
            kind = fields[index]["type"]
            if change == "promote" and kind in _PROMOTIONS:
                fields[index]["type"] = draw(st.sampled_from(_PROMOTIONS[kind]))
            elif change == "narrow" and kind in _NARROWINGS:
                fields[index]["type"] = _NARROWINGS[kind]
        elif change == "enum-symbol":
            for field in fields:
                node = field["type"]
                if isinstance(node, dict) and node["type"] == "enum" and "Z" not in node["symbols"]:
                    node["symbols"] = [*node["symbols"], "Z"]
                    node["default"] = node["symbols"][0]  # a reader default for old readers
        elif change == "widen-union" and isinstance(fields[index]["type"], str):
            fields[index]["type"] = ["null", fields[index]["type"]]
        elif change == "grow-record":
            for field in fields:
                node = field["type"]
                grown = isinstance(node, dict) and node["type"] == "record"
                if grown and all(f["name"] != "y" for f in node["fields"]):
                    node["fields"] = [*node["fields"], {"name": "y", "type": "long", "default": 3}]
    return new


# -- models for a schema (what pubsub-gen would generate, built directly) --------------------

_PY = {
    "int": int,
    "long": int,
    "float": float,
    "double": float,
    "string": str,
    "bytes": bytes,
    "boolean": bool,
}


def _models(schema: dict[str, Any]) -> tuple[type[BaseModel], dict[str, type[Any]]]:
    named: dict[str, type[Any]] = {}

    def py(node: Any) -> Any:
        if isinstance(node, str):
            return _PY[node]
        if isinstance(node, list):
            return py(node[1]) | None
        if node["type"] == "array":
            return list[py(node["items"])]  # type: ignore[misc]
        if node["type"] == "enum":
            named[node["name"]] = StrEnum(node["name"], {s: s for s in node["symbols"]})  # type: ignore[misc]
            return named[node["name"]]
        return record(node)

    def record(node: dict[str, Any]) -> type[BaseModel]:
        fields: Any = {f["name"]: (py(f["type"]), ...) for f in node["fields"]}
        model = create_model(node["name"], **fields)
        named[node["name"]] = model
        return model

    root = record(schema)
    del named[schema["name"]]
    return root, named


def _reader_spec(reader: dict[str, Any], writer: dict[str, Any], encoding: str) -> Any:
    model, named = _models(reader)
    written = json.dumps(writer)
    return TopicSpec(
        name="random",
        model=model,
        schema_type="AVRO",
        encoding=encoding,
        definition=json.dumps(reader),
        named_types=named,
        writer_schemas={schema_fingerprint(written): written},
    )


def _wire(writer: Any, datum: Any, encoding: str) -> bytes:
    if encoding == "BINARY":
        buffer = io.BytesIO()
        fastavro.schemaless_writer(buffer, writer, datum)
        return buffer.getvalue()
    text = io.StringIO()
    json_writer(text, writer, [datum])
    return text.getvalue().encode()


def _judge(writer: Any, reader: Any, data: bytes, encoding: str) -> tuple[bool | None, Any]:
    """(resolved, datum) by fastavro's own resolution; resolved is None when the bytes of a
    promotion to string are not UTF-8 (Avro allows bytes -> string for UTF-8 content only,
    which check-compat cannot know)."""
    try:
        if encoding == "BINARY":
            return True, fastavro.schemaless_reader(io.BytesIO(data), writer, reader)
        return True, next(iter(json_reader(io.StringIO(data.decode()), writer, reader)))
    except UnicodeDecodeError:
        return None, None
    except Exception:
        return False, None


def _plain(value: Any) -> Any:
    """A decoded model as fastavro's datum shape (enums are their symbols already)."""
    if isinstance(value, BaseModel):
        return {k: _plain(v) for k, v in value}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _spec_bytes(datum: Any, reader: dict[str, Any]) -> Any:
    """fastavro leaves a reader's default for a bytes field as its JSON string; the Avro
    specification reads it as the string's code points (what decode gives)."""
    for field in reader["fields"]:
        if field["type"] == "bytes" and isinstance(datum.get(field["name"]), str):
            datum = {**datum, field["name"]: datum[field["name"]].encode("latin-1")}
    return datum


# Breaking changes that fail only messages holding certain values (a symbol, a branch).
_VALUE_DEPENDENT = {
    "union-branch-removed",
    "union-branch-added",
    "enum-symbol-removed",
    "enum-symbol-added",
}


def _agree(
    writer_doc: dict[str, Any], reader_doc: dict[str, Any], seed: int, verdict: set[str] | None
) -> None:
    """``verdict``: None when check-compat finds the direction compatible, else its rules."""
    event("compatible" if verdict is None else f"breaks: {', '.join(sorted(verdict))}")
    writer = fastavro.parse_schema(writer_doc)
    reader = fastavro.parse_schema(copy.deepcopy(reader_doc))
    data = list(AvroRandom(writer_doc, seed=seed).many(3))
    fingerprint = {"avro-fingerprint": schema_fingerprint(json.dumps(writer_doc))}
    for encoding in ("BINARY", "JSON"):
        spec = _reader_spec(reader_doc, writer_doc, encoding)
        for datum in data:
            wire = _wire(writer, datum, encoding)
            resolved, expected = _judge(writer, reader, wire, encoding)
            if verdict is None:
                assert resolved is not False, ("compatible, yet fastavro fails", encoding, datum)
            elif not verdict & _VALUE_DEPENDENT:
                assert resolved is not True, ("incompatible, yet fastavro reads", verdict)
            if resolved:
                decoded = _plain(spec.decode(wire, attributes=fingerprint))
                assert decoded == _spec_bytes(expected, reader_doc), (encoding, datum)
            else:
                with pytest.raises(DecodeError):
                    spec.decode(wire, attributes=fingerprint)


def _verdict(old: dict[str, Any], new: dict[str, Any], direction: Direction) -> set[str] | None:
    """check-compat's breaking rules in ``direction``; None when it finds none."""
    findings = compare_documents("AVRO", old, new, Mode.FULL)
    rules = {f.rule for f in findings if f.kind is Kind.BREAK and f.direction == direction.value}
    return rules or None


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data(), seed=st.integers(0, 2**16))
def test_check_compat_and_decode_agree_with_fastavro_resolution(data: Any, seed: int) -> None:
    old = data.draw(_old_schema())
    new = data.draw(_changed(old))
    # backward: the new schema reads old messages
    _agree(old, new, seed, _verdict(old, new, Direction.BACKWARD))
    # forward: old code reads new messages
    _agree(new, old, seed, _verdict(old, new, Direction.FORWARD))
