"""Hypothesis strategies for fuzzing pubsub-gen: random valid schemas, and broken ones.

``avro_schemas()`` draws valid Avro documents (names that are keywords, builtins or BaseModel
attributes, named types called like Avro's type keywords, names that collide after snake_case
or across namespaces, deep nesting, recursion, every logical type, defaults and docs full of
quotes and backslashes). ``deep_avro_schemas()`` and ``deep_json_schemas()`` draw documents
nested around the depth limit (``load.discover.MAX_DEPTH``), with their nesting depth.
``json_schemas()`` draws valid JSON Schema documents together with a strategy of instances
valid against them (property names with dashes, spaces, digits, unicode and quotes; ``$defs``
and recursive ``$ref``s; ``oneOf``/``anyOf``/``allOf``; formats and constraints).
``broken_avro()`` and ``broken_json()`` mutate valid documents into invalid ones (dangling
references, duplicate fields, bad symbols, wrong types, truncated JSON) and return the file's
text.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import keyword
import math
import os
import pkgutil
import string
import subprocess
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from gen_support import imported
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from pubsub_gen.naming import attribute_name, class_name, pascal_case, unique

Draw = Callable[[st.SearchStrategy[Any]], Any]

# -- names ---------------------------------------------------------------------------------

_AWKWARD_IDENTIFIERS = sorted(
    {*keyword.kwlist, *keyword.softkwlist}
    | {"int", "str", "list", "dict", "bytes", "float", "bool", "object", "type", "id", "hash"}
    | {"json", "schema", "model_config", "copy", "dict", "fields", "model_dump", "model_fields"}
    | {"model_validate", "validate", "construct", "parse_obj", "schema_json", "model_extra"}
    | {"model_post_init", "model_fields_set", "root", "self", "cls", "name", "value"}
    | {"TopicSpec", "PubSubBroker", "BaseModel", "Field", "Any", "annotations", "asyncio"}
    | {"Mapping", "TOPICS", "l", "I", "O", "_", "__", "_x", "__init__", "__class__", "x_"}
    | {"fooBar", "foo_bar", "FooBar", "FOO_BAR", "foobar", "a", "A", "a1", "A_1", "_1"}
    | {"HTTPCode", "httpCode", "http_code", "x" * 100}
)
_AVRO_NAME = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,11}", fullmatch=True)
AVRO_NAMES: st.SearchStrategy[str] = st.one_of(st.sampled_from(_AWKWARD_IDENTIFIERS), _AVRO_NAME)
_AVRO_PRIMITIVES = ("null", "boolean", "int", "long", "float", "double", "bytes", "string")
# Legal names of named types that fastavro mistakes for the keywords (issue 19, point 4).
AVRO_TYPE_KEYWORDS = ("record", "error", "enum", "fixed", "array", "map")
AVRO_TYPE_KEYWORD_NAMES: st.SearchStrategy[str] = st.sampled_from(AVRO_TYPE_KEYWORDS)
# Payload class names the generator refuses, rightly: the package exports a TOPICS of its own.
_RESERVED_PAYLOAD_NAMES = frozenset({"TOPICS"})

# Text that breaks naive code generation: quotes of every kind, backslashes, line breaks,
# template and format-string syntax, a payload that would run if pasted as code.
_PAYLOAD = "__import__('pathlib').Path('PWNED').touch()"
_HOSTILE_TEXT = [
    '"""',
    "'''",
    f'"""\n{_PAYLOAD}\n"""',
    "ends with a backslash \\",
    "\\",
    '\\"',
    "a\\nb \\u0000 \\x00",
    "line\nbreak\r\n\ttab \u2028 \x0c",
    "{{ jinja }} {% raw %} {# c #} {0} %s f'{x}'",
    "é€😀 \u2018quotes\u2019 — ünïcödé \U0001d518",
    "# not a comment",
    "",
    " ",
]
TEXT: st.SearchStrategy[str] = st.one_of(
    st.sampled_from(_HOSTILE_TEXT),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=20),
)
# JSON property names: anything goes on the wire.
_AWKWARD_PROPERTIES = [
    *_AWKWARD_IDENTIFIERS[:40],
    "order-id",
    "order id",
    "1st",
    "9",
    "-",
    "--x",
    "a.b",
    "dot.",
    "ünïcödé",
    "😀",
    'quo"te',
    "back\\slash",
    "$ref",
    "$id",
    "model_config",
    "json",
    "schema",
    "copy",
    "orderId",
    "order_id",
    "OrderId",
    "ORDER_ID",
]


def _no_ambiguous_class(name: str) -> bool:
    """Property names, titles, definitions and enum values become class or member names: not
    l, I or O (a finding reported to the lead, see test_fuzz_findings.py)."""
    return pascal_case(name).lower() not in {"i", "l", "o"}


JSON_PROPERTY_NAMES: st.SearchStrategy[str] = st.one_of(
    st.sampled_from(_AWKWARD_PROPERTIES),
    st.text(st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=12),
).filter(_no_ambiguous_class)


# -- Avro ----------------------------------------------------------------------------------


@dataclass
class _AvroBuilder:
    """Draws one Avro document, keeping track of the named types defined so far."""

    draw: Draw
    max_depth: int
    defined: dict[str, dict[str, Any]] = field(default_factory=dict)  # full name -> node
    open_records: list[str] = field(default_factory=list)  # records being defined
    declare: str | None = None  # the namespace the first named type declares

    def named(self, kind: str, namespace: str) -> tuple[dict[str, Any], str, str]:
        """The name keys of a new named type, its full name and its namespace."""
        draw = self.draw
        short = draw(st.one_of(AVRO_NAMES, AVRO_NAMES, AVRO_NAMES, AVRO_TYPE_KEYWORD_NAMES))
        if short in _AVRO_PRIMITIVES:
            short += "_"
        if self.declare is not None and class_name(short) in _RESERVED_PAYLOAD_NAMES:
            short += "x"  # the top-level type names the payload model
        style = draw(st.sampled_from(["inherit", "inherit", "namespace", "dotted"]))
        space = namespace
        if self.declare is not None:  # the top-level type: nothing to inherit from
            style, space, self.declare = "namespace", self.declare, None
        elif style != "inherit":
            space = ".".join(draw(st.lists(_AVRO_NAME, min_size=1, max_size=2)))
        full = f"{space}.{short}" if space else short
        while full in self.defined:  # same short name across namespaces is fine, twice is not
            short += "_"
            full = f"{space}.{short}" if space else short
        if style == "inherit":
            keys: dict[str, Any] = {"name": short}
        elif style == "namespace":
            keys = {"name": short, "namespace": space}
        else:
            keys = {"name": full}
        keys["type"] = kind
        if draw(st.booleans()):
            keys["doc"] = draw(TEXT)
        if kind != "fixed" and draw(st.integers(0, 4)) == 0:
            keys["aliases"] = draw(st.lists(AVRO_NAMES, max_size=2, unique=True))
        return keys, full, space

    def reference(self, full: str, namespace: str) -> str | None:
        """How to refer to ``full`` from ``namespace`` (short name when it resolves to it)."""
        space, _, short = full.rpartition(".")
        if space == namespace and self.draw(st.booleans()):
            return short
        if not space and namespace:
            # A name without a dot means "in the enclosing namespace" (Avro 1.11; fastavro has no
            # fallback to the null namespace): a type of the null namespace is out of reach here.
            return None
        return full

    def type(self, depth: int, namespace: str) -> Any:
        draw = self.draw
        kinds = ["primitive", "primitive", "logical", "enum", "fixed"]
        if depth < self.max_depth:
            kinds += ["array", "map", "union", "union", "union", "record", "record", "record"]
        if self.defined:
            kinds.append("reference")
        if self.open_records and depth < self.max_depth:
            kinds.append("recursion")
        kind = draw(st.sampled_from(kinds))
        if kind == "primitive":
            name = draw(st.sampled_from(_AVRO_PRIMITIVES))
            return name if draw(st.booleans()) else {"type": name}
        if kind == "logical":
            return self.logical(namespace)
        if kind == "enum":
            return self.enum(namespace)
        if kind == "fixed":
            return self.fixed(namespace)
        if kind == "array":
            return {"type": "array", "items": self.type(depth + 1, namespace)}
        if kind == "map":
            return {"type": "map", "values": self.type(depth + 1, namespace)}
        if kind == "union":
            return self.union(depth + 1, namespace)
        if kind == "record":
            return self.record(depth + 1, namespace)
        if kind == "recursion":
            return self.recursion(namespace)
        complete = [n for n in self.defined if n not in self.open_records]
        if not complete:
            return "string"
        ref = self.reference(draw(st.sampled_from(complete)), namespace)
        return ref if ref is not None else "long"

    def recursion(self, namespace: str) -> Any:
        """A way back to a record being defined that data can end: nullable, array or map."""
        draw = self.draw
        ref = self.reference(draw(st.sampled_from(self.open_records)), namespace)
        if ref is None:
            return "null"
        shape = draw(st.sampled_from(["nullable", "null_last", "array", "map"]))
        if shape == "nullable":
            return ["null", ref]
        if shape == "null_last":
            return [ref, "null"]
        return {"type": shape, "items" if shape == "array" else "values": ref}

    def logical(self, namespace: str) -> dict[str, Any]:
        draw = self.draw
        kind = draw(
            st.sampled_from(
                [
                    ("int", "date"),
                    ("int", "time-millis"),
                    ("long", "time-micros"),
                    ("long", "timestamp-millis"),
                    ("long", "timestamp-micros"),
                    ("long", "local-timestamp-millis"),
                    ("long", "local-timestamp-micros"),
                    ("string", "uuid"),
                    ("bytes", "decimal"),
                    ("fixed", "decimal"),
                    ("fixed", "duration"),
                    ("string", "made-up-logical-type"),  # unknown: the base type is used
                ]
            )
        )
        base, logical = kind
        if base != "fixed":
            node: dict[str, Any] = {"type": base, "logicalType": logical}
            if logical == "decimal":
                precision = draw(st.integers(1, 30))
                node.update(precision=precision, scale=draw(st.integers(0, precision)))
            return node
        keys, full, _ = self.named("fixed", namespace)
        if logical == "duration":
            node = {**keys, "size": 12, "logicalType": "duration"}
        else:
            size = draw(st.integers(1, 16))
            precision = draw(st.integers(1, math.floor(math.log10(2 ** (8 * size - 1) - 1))))
            node = {**keys, "size": size, "logicalType": "decimal", "precision": precision}
            node["scale"] = draw(st.integers(0, precision))
        self.defined[full] = node
        return node

    def fixed(self, namespace: str) -> dict[str, Any]:
        keys, full, _ = self.named("fixed", namespace)
        node = {**keys, "size": self.draw(st.integers(0, 16))}
        self.defined[full] = node
        return node

    def enum(self, namespace: str) -> dict[str, Any]:
        draw = self.draw
        keys, full, _ = self.named("enum", namespace)
        symbols = draw(st.lists(AVRO_NAMES, min_size=1, max_size=6, unique=True))
        node = {**keys, "symbols": symbols}
        if draw(st.booleans()):
            node["default"] = draw(st.sampled_from(symbols))
        self.defined[full] = node
        return node

    def union(self, depth: int, namespace: str) -> list[Any]:
        draw = self.draw
        branches: list[Any] = []
        keys: set[str] = set()
        if draw(st.booleans()):
            branches.append("null")
            keys.add("null")
        for _ in range(draw(st.integers(1, 3))):
            before = set(self.defined)
            branch = self.type(depth, namespace)
            key = self.union_key(branch, namespace)
            # Random data is written untagged, and fastavro takes the first branch that accepts a
            # value: two branches taking bytes (bytes, decimal, fixed) would swap their data, and
            # an int written to a time-micros branch can be out of its range.
            bytes_clash = self.bytes_like(branch, namespace) and "bytes-like" in keys
            int_like = self.int_like(branch)
            bytes_clash = bytes_clash or (int_like and "int-like" in keys)
            if isinstance(branch, list) or key in keys or bytes_clash:
                for name in set(self.defined) - before:  # left out: not defined after all
                    del self.defined[name]
                continue
            if self.bytes_like(branch, namespace):
                keys.add("bytes-like")
            keys.add(key)
            keys.update({"int-like"} if int_like else set())
            branches.append(branch)
        if draw(st.booleans()) and "null" not in keys:
            branches.append("null")
        return branches or ["null"]

    @staticmethod
    def int_like(branch: Any) -> bool:
        kind = branch.get("type") if isinstance(branch, dict) else branch
        return kind in ("int", "long")

    def bytes_like(self, branch: Any, namespace: str) -> bool:
        if isinstance(branch, dict):
            return branch["type"] in ("bytes", "fixed")
        if branch == "bytes":
            return True
        if isinstance(branch, str) and branch not in _AVRO_PRIMITIVES:
            full = branch if "." in branch or not namespace else f"{namespace}.{branch}"
            node = self.defined.get(full) or self.defined.get(branch) or {}
            return node.get("type") == "fixed"
        return False

    def union_key(self, branch: Any, namespace: str) -> str:
        """What a union may hold only one of: a primitive (logical types count as their base),
        a named type, an array, a map."""
        if isinstance(branch, str):
            if branch in _AVRO_PRIMITIVES:
                return branch
            full = branch if "." in branch or not namespace else f"{namespace}.{branch}"
            return full if full in self.defined else branch
        if isinstance(branch, list):
            return "union"
        kind = branch["type"]
        if kind in ("record", "enum", "fixed"):
            name = branch["name"]
            space = branch.get("namespace", namespace)
            return name if "." in name or not space else f"{space}.{name}"
        return str(kind)

    def record(self, depth: int, namespace: str) -> dict[str, Any]:
        draw = self.draw
        keys, full, space = self.named("record", namespace)
        node: dict[str, Any] = {**keys, "fields": []}
        self.defined[full] = node
        self.open_records.append(full)
        width = max(1, 6 - 2 * depth)
        names = st.lists(AVRO_NAMES, min_size=int(depth == 0), max_size=width, unique=True)
        for wire_name in _unambiguous(draw(names)):
            field_type = self.type(depth, space)
            entry: dict[str, Any] = {"name": wire_name, "type": field_type}
            if draw(st.integers(0, 2)) == 0:
                entry["doc"] = draw(TEXT)
            if draw(st.integers(0, 5)) == 0:
                entry["order"] = draw(st.sampled_from(["ascending", "descending", "ignore"]))
            default = self.default(field_type, space)
            if default is not _NO_DEFAULT and draw(st.booleans()):
                entry["default"] = default
            node["fields"].append(entry)
        self.open_records.remove(full)
        return node

    def default(self, schema: Any, namespace: str) -> Any:
        """A valid default for ``schema`` when one is easy to make, else ``_NO_DEFAULT``."""
        draw = self.draw
        if isinstance(schema, list):
            return self.default(schema[0], namespace)  # a union's default is its first branch's
        if isinstance(schema, str):
            if schema in _AVRO_PRIMITIVES:
                return self.primitive_default(schema)
            full = schema if "." in schema or not namespace else f"{namespace}.{schema}"
            node = self.defined.get(full) or self.defined.get(schema)
            return _NO_DEFAULT if node is None else self.default(node, namespace)
        kind = schema["type"]
        logical = schema.get("logicalType")
        if logical in ("decimal", "duration"):
            return _NO_DEFAULT
        if logical == "uuid" and kind == "string":
            return str(draw(st.uuids()))
        if (kind, logical) in _LOGICAL_RANGES:
            return draw(st.integers(*_LOGICAL_RANGES[kind, logical]))
        if kind in _AVRO_PRIMITIVES:
            return self.primitive_default(kind)
        if kind == "enum":
            return draw(st.sampled_from(schema["symbols"]))
        if kind == "fixed":
            return "".join(draw(st.lists(st.sampled_from(_LATIN1), min_size=schema["size"],
                                         max_size=schema["size"])))  # fmt: skip
        if kind == "array":
            return []
        if kind == "map":
            return {}
        return _NO_DEFAULT  # records: defaults of records are left out

    def primitive_default(self, kind: str) -> Any:
        draw = self.draw
        strategies: dict[str, st.SearchStrategy[Any]] = {
            "null": st.none(),
            "boolean": st.booleans(),
            "int": st.integers(-(2**31), 2**31 - 1),
            "long": st.integers(-(2**63), 2**63 - 1),
            "float": st.floats(-1e6, 1e6, width=32),
            "double": st.floats(allow_nan=False, allow_infinity=False),
            "bytes": st.text(st.sampled_from(_LATIN1), max_size=6),
            "string": TEXT,
        }
        return draw(strategies[kind])


def _unambiguous(wire_names: list[str]) -> list[str]:
    """Leave out fields whose attribute would be another field's wire name (a finding reported
    to the lead, see test_fuzz_findings.py: ``R(a=...)`` then sets the wrong field)."""
    taken: set[str] = set()
    attributes = [unique(attribute_name(w), taken) for w in wire_names]
    clashing = {a for a, w in zip(attributes, wire_names, strict=True) if a != w}
    return [w for w in wire_names if w not in clashing]


_NO_DEFAULT: Any = object()
_DAY_MS, _YEAR_1_S, _YEAR_9999_S = 86_400_000, -62_135_596_800 + 86_400, 253_402_300_799 - 86_400
# Defaults of logical types are numbers the logical type can hold (a date between years 1 and
# 9999, a time of day).
_LOGICAL_RANGES: dict[tuple[str, str], tuple[int, int]] = {
    ("int", "date"): (-719_162, 2_932_896),
    ("int", "time-millis"): (0, _DAY_MS - 1),
    ("long", "time-micros"): (0, _DAY_MS * 1000 - 1),
    ("long", "timestamp-millis"): (_YEAR_1_S * 1000, _YEAR_9999_S * 1000),
    ("long", "timestamp-micros"): (_YEAR_1_S * 10**6, _YEAR_9999_S * 10**6),
    ("long", "local-timestamp-millis"): (_YEAR_1_S * 1000, _YEAR_9999_S * 1000),
    ("long", "local-timestamp-micros"): (_YEAR_1_S * 10**6, _YEAR_9999_S * 10**6),
}
_LATIN1 = [chr(i) for i in range(256)]


@st.composite
def avro_schemas(draw: Draw) -> Any:
    """A valid Avro schema document: mostly a record, sometimes another top-level type."""
    builder = _AvroBuilder(draw, max_depth=draw(st.integers(1, 6)))
    builder.declare = draw(st.sampled_from(["", "", "com.example", "class.def", "json.None.x"]))
    namespace = ""
    root = draw(st.sampled_from(["record"] * 6 + ["enum", "array", "map", "union", "fixed"]))
    if root == "record":
        return builder.record(0, namespace)
    if root == "enum":
        return builder.enum(namespace)
    if root == "fixed":
        return builder.fixed(namespace) if draw(st.booleans()) else builder.logical(namespace)
    if root == "union":
        return ["null", builder.record(1, namespace)]
    return {
        "type": root,
        "items" if root == "array" else "values": builder.record(1, namespace),
    }


# -- deep nesting --------------------------------------------------------------------------

# Levels of JSON nesting each kind of Avro wrapper adds, and how to wrap an inner type in it.
_AVRO_WRAPPERS: dict[str, int] = {"record": 3, "array": 1, "map": 1, "union": 1}


def _depth_around(draw: Draw, around: int) -> int:
    """A depth up to ``around``, or beyond it (about one in two)."""
    if draw(st.booleans()):
        return around + draw(st.integers(1, 60))
    return around - draw(st.integers(0, 24))


@st.composite
def deep_avro_schemas(draw: Draw, around: int) -> tuple[Any, int]:
    """An Avro record nesting records, arrays, maps, unions and ``{"type": ...}`` wrappers
    about ``around`` levels deep (of JSON objects and arrays), and its exact depth."""
    target = _depth_around(draw, around)
    kinds = st.sampled_from(sorted(_AVRO_WRAPPERS))
    inner: Any = draw(st.sampled_from(["int", "string", {"type": "long"}, ["null", "int"]]))
    depth, index = 3, 0  # the top-level record and its field
    while depth < target - 4:  # the leaf and the last wrapper may add up to 4
        kind = draw(kinds)
        index += 1
        if kind == "record":
            name = draw(st.one_of(AVRO_TYPE_KEYWORD_NAMES, st.just("L")))
            inner = {"type": "record", "name": f"{name}{index}", "fields": [
                {"name": draw(AVRO_NAMES), "type": inner}]}  # fmt: skip
        elif kind == "array":
            inner = {"type": "array", "items": inner}
        elif kind == "map":
            inner = {"type": "map", "values": inner}
        elif kind == "union" and not isinstance(inner, list):  # not a union in a union
            inner = ["null", inner]
        else:
            inner, kind = {"type": "array", "items": inner}, "array"
        depth += _AVRO_WRAPPERS[kind]
    from pubsub_gen.load.discover import nesting_depth

    document = {"type": "record", "name": "Deep", "fields": [{"name": "top", "type": inner}]}
    return document, nesting_depth(document)


@st.composite
def deep_json_schemas(draw: Draw, around: int) -> tuple[Any, int]:
    """A JSON Schema nesting objects and arrays about ``around`` levels deep, and its depth."""
    target = _depth_around(draw, around)
    inner: Any = draw(st.sampled_from([{"type": "integer"}, {"type": "string"}]))
    depth = 1
    while depth < target - 3:  # the document around it adds 2, the last wrapper up to 2
        if draw(st.booleans()):
            inner = {"type": "array", "items": inner, "minItems": 1}
            depth += 1
        else:
            inner = {"type": "object", "properties": {draw(AVRO_NAMES): inner}}
            inner["required"] = list(inner["properties"])
            depth += 2
    from pubsub_gen.load.discover import nesting_depth

    document = {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "Deep",
                "type": "object", "properties": {"top": inner}, "required": ["top"]}  # fmt: skip
    return document, nesting_depth(document)


# -- JSON Schema ---------------------------------------------------------------------------

JsonCase = tuple[dict[str, Any], st.SearchStrategy[Any]]

_FORMATS: dict[str, st.SearchStrategy[str]] = {
    "date-time": st.datetimes(
        min_value=dt.datetime(1900, 1, 1),
        max_value=dt.datetime(2200, 1, 1),
        timezones=st.just(dt.UTC),
    ).map(lambda d: d.isoformat()),
    "date": st.dates().map(lambda d: d.isoformat()),
    "uuid": st.uuids().map(str),
    "email": st.from_regex(r"[a-z]{1,8}@example\.(com|org)", fullmatch=True),
    "uri": st.from_regex(r"https://example\.com/[a-z]{0,8}", fullmatch=True),
}
_PATTERNS: dict[str, st.SearchStrategy[str]] = {
    "^[a-z]+$": st.from_regex(r"[a-z]+", fullmatch=True),
    "^[A-Z]{2}-[0-9]{3}$": st.from_regex(r"[A-Z]{2}-[0-9]{3}", fullmatch=True),
}


@dataclass
class _JsonBuilder:
    """Draws one JSON Schema document and a strategy of instances valid against it."""

    draw: Draw
    max_depth: int
    defs_key: str
    defs: dict[str, dict[str, Any]] = field(default_factory=dict)
    def_values: dict[str, st.SearchStrategy[Any]] = field(default_factory=dict)
    pending: set[str] = field(default_factory=set)  # definitions whose schema is being drawn

    def node(self, depth: int) -> JsonCase:
        draw = self.draw
        kinds = ["string", "integer", "number", "boolean", "enum", "const", "nullable"]
        if depth < self.max_depth:
            kinds += ["object", "object", "array", "ref", "one_of", "any_of", "all_of"]
        kind = draw(st.sampled_from(kinds))
        return getattr(self, f"_{kind}")(depth)

    def _string(self, depth: int) -> JsonCase:
        draw = self.draw
        flavour = draw(st.sampled_from(["plain", "length", "format", "pattern"]))
        if flavour == "format":
            name = draw(st.sampled_from(sorted(_FORMATS)))
            return {"type": "string", "format": name}, _FORMATS[name]
        if flavour == "pattern":
            pattern = draw(st.sampled_from(sorted(_PATTERNS)))
            return {"type": "string", "pattern": pattern}, _PATTERNS[pattern]
        if flavour == "length":
            low = draw(st.integers(0, 3))
            high = draw(st.integers(low, 8))
            schema = {"type": "string", "minLength": low, "maxLength": high}
            return schema, st.text(min_size=low, max_size=high)
        schema = {"type": "string"}
        if draw(st.booleans()):
            schema["description"] = draw(TEXT)
        if draw(st.integers(0, 3)) == 0:
            schema["default"] = draw(TEXT)
        return schema, TEXT

    def _integer(self, depth: int) -> JsonCase:
        low = self.draw(st.integers(-(2**40), 2**40))
        high = self.draw(st.integers(low, low + 2**20))
        return {"type": "integer", "minimum": low, "maximum": high}, st.integers(low, high)

    def _number(self, depth: int) -> JsonCase:
        values = st.floats(-1e12, 1e12, allow_nan=False)
        return {"type": "number"}, values

    def _boolean(self, depth: int) -> JsonCase:
        return {"type": "boolean"}, st.booleans()

    def _enum(self, depth: int) -> JsonCase:
        # Symbols "i" and "o" become members I and O (a finding, see test_fuzz_findings.py).
        symbols = self.draw(
            st.lists(TEXT.filter(_no_ambiguous_class), min_size=1, max_size=5, unique=True)
        )
        return {"enum": symbols}, st.sampled_from(symbols)

    def _const(self, depth: int) -> JsonCase:
        value = self.draw(TEXT)
        return {"const": value}, st.just(value)

    def _nullable(self, depth: int) -> JsonCase:
        inner, values = self.draw(
            st.sampled_from([self._string, self._integer, self._boolean, self._number])
        )(depth)
        style = self.draw(st.sampled_from(["type_list", "any_of"]))
        if style == "type_list":
            return {**inner, "type": [inner["type"], "null"]}, st.none() | values
        return {"anyOf": [inner, {"type": "null"}]}, st.none() | values

    def _object(self, depth: int, *, closed: bool | None = None) -> JsonCase:
        draw = self.draw
        width = max(1, 5 - depth)
        # Names that would become the same attribute are refused ("rename one"): not drawn here.
        names = draw(st.lists(JSON_PROPERTY_NAMES, max_size=width, unique_by=attribute_name))
        properties: dict[str, Any] = {}
        values: dict[str, st.SearchStrategy[Any]] = {}
        for name in names:
            properties[name], values[name] = self.node(depth + 1)
        required = [n for n in names if draw(st.booleans())]
        schema: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            schema["required"] = required
        if closed if closed is not None else draw(st.booleans()):
            schema["additionalProperties"] = False
        if draw(st.integers(0, 2)) == 0:
            schema["title"] = draw(TEXT.filter(_no_ambiguous_class))
        optional = {n: v for n, v in values.items() if n not in required}
        return schema, st.fixed_dictionaries({n: values[n] for n in required}, optional=optional)

    def _array(self, depth: int) -> JsonCase:
        items, values = self.node(depth + 1)
        low = self.draw(st.integers(0, 2))
        high = self.draw(st.integers(low, 4))
        schema = {"type": "array", "items": items, "minItems": low, "maxItems": high}
        return schema, st.lists(values, min_size=low, max_size=high)

    def _ref(self, depth: int) -> JsonCase:
        draw = self.draw
        ready = sorted(set(self.defs) - self.pending)
        if ready and draw(st.booleans()):
            name = draw(st.sampled_from(ready))
            return {"$ref": self.pointer(name)}, st.deferred(lambda: self.def_values[name])
        name = draw(JSON_PROPERTY_NAMES.filter(lambda n: n not in self.defs))
        if draw(st.booleans()):
            # Recursive: an object that may hold itself (optional, or in a list that may be empty).
            self.defs[name] = {}
            ref = {"$ref": self.pointer(name)}
            holder = draw(st.sampled_from(["optional", "list"]))
            child = ref if holder == "optional" else {"type": "array", "items": ref}
            label, label_values = self._string(depth + 1)
            self.defs[name] = {
                "type": "object",
                "properties": {"label": label, "child": child},
                "required": ["label"],
                "additionalProperties": False,
            }
            recursive = st.deferred(lambda: self.def_values[name])
            child_values = recursive if holder == "optional" else st.lists(recursive, max_size=2)
            self.def_values[name] = st.fixed_dictionaries(
                {"label": label_values}, optional={"child": child_values}
            )
        else:
            self.defs[name] = {}  # reserved while its own schema is drawn
            self.pending.add(name)
            self.defs[name], self.def_values[name] = self.node(depth + 1)
            self.pending.discard(name)
        return {"$ref": self.pointer(name)}, st.deferred(lambda: self.def_values[name])

    def pointer(self, name: str) -> str:
        escaped = name.replace("~", "~0").replace("/", "~1")
        # A URI fragment: characters outside the unreserved set are percent-encoded.
        quoted = "".join(
            c if c in _FRAGMENT_SAFE else "".join(f"%{b:02X}" for b in c.encode()) for c in escaped
        )
        return f"#/{self.defs_key}/{quoted}"

    def _one_of(self, depth: int) -> JsonCase:
        draw = self.draw
        count = draw(st.integers(2, 3))
        kinds = draw(st.lists(TEXT, min_size=count, max_size=count, unique=True))
        variants, strategies = [], []
        for kind in kinds:
            schema, values = self._object(depth + 1, closed=True)
            others = {
                name: node
                for name, node in schema["properties"].items()
                if attribute_name(name) != "kind"
            }
            schema["properties"] = {"kind": {"const": kind}, **others}
            schema["required"] = ["kind", *[r for r in schema.get("required", []) if r in others]]
            variants.append(schema)
            strategies.append(
                values.map(lambda v, k=kind, o=others: {**_only(v, o), "kind": k})  # type: ignore[misc]
            )
        return {"oneOf": variants}, st.one_of(strategies)

    def _any_of(self, depth: int) -> JsonCase:
        (a, a_values), (b, b_values) = self._integer(depth), self._string(depth)
        return {"anyOf": [a, b]}, st.one_of(a_values, b_values)

    def _all_of(self, depth: int) -> JsonCase:
        first, first_values = self._object(depth + 1, closed=False)
        second, second_values = self._object(depth + 1, closed=False)
        # One owner per property; and none becoming the same attribute as another part's (the
        # generator then reports the clash less clearly: a finding, see test_fuzz_findings.py).
        taken = {attribute_name(name) for name in first["properties"]}
        clash = {n for n in second["properties"] if attribute_name(n) in taken}
        for name in clash:
            del second["properties"][name]
        second["required"] = [r for r in second.get("required", []) if r not in clash]
        if not second["required"]:
            del second["required"]

        def merge(parts: tuple[dict[str, Any], dict[str, Any]]) -> dict[str, Any]:
            a, b = parts
            return {**a, **{k: v for k, v in b.items() if k not in clash}}

        return {"type": "object", "allOf": [first, second]}, st.tuples(
            first_values,
            second_values.map(lambda v: {k: x for k, x in v.items() if k not in clash}),
        ).map(merge)


def _only(value: dict[str, Any], names: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in value.items() if k in names}


_FRAGMENT_SAFE = frozenset(string.ascii_letters + string.digits + "-._~!$&'()*+,;=:@")


@st.composite
def json_schemas(draw: Draw) -> tuple[dict[str, Any], st.SearchStrategy[Any]]:
    """A valid JSON Schema document (draft 7 or 2020-12) and a strategy of valid instances."""
    draft = draw(st.sampled_from(["7", "2020-12"]))
    builder = _JsonBuilder(
        draw, max_depth=draw(st.integers(1, 5)), defs_key="definitions" if draft == "7" else "$defs"
    )
    root, values = builder._object(0)
    document: dict[str, Any] = {
        "$schema": "http://json-schema.org/draft-07/schema#"
        if draft == "7"
        else "https://json-schema.org/draft/2020-12/schema",
        **root,
    }
    if builder.defs:
        document[builder.defs_key] = builder.defs
    return document, values


# -- broken schemas ------------------------------------------------------------------------


def _records(node: Any) -> list[dict[str, Any]]:
    """Every record node of an Avro document."""
    found: list[dict[str, Any]] = []
    if isinstance(node, list):
        for item in node:
            found += _records(item)
    elif isinstance(node, dict):
        if node.get("type") in ("record", "error") and isinstance(node.get("fields"), list):
            found.append(node)
            for entry in node["fields"]:
                found += _records(entry.get("type"))
        for key in ("items", "values"):
            if key in node:
                found += _records(node[key])
        if isinstance(node.get("type"), dict | list):
            found += _records(node["type"])
    return found


def _named(node: Any, kind: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(node, list):
        for item in node:
            found += _named(item, kind)
    elif isinstance(node, dict):
        if node.get("type") == kind:
            found.append(node)
        for entry in node.get("fields", []) if isinstance(node.get("fields"), list) else []:
            found += _named(entry.get("type"), kind)
        for key in ("items", "values"):
            if key in node:
                found += _named(node[key], kind)
    return found


@st.composite
def broken_avro(draw: Draw) -> tuple[str, str]:
    """(the text of an invalid Avro schema file, the mutation applied)."""
    document = draw(avro_schemas())
    records = [r for r in _records(document)]
    with_fields = [r for r in records if r["fields"]]
    enums = _named(document, "enum")
    fixeds = _named(document, "fixed")
    mutations = ["truncated", "not_a_type", "dangling_root"]
    if records:
        mutations += ["fields_not_list", "nameless_record", "dangling_field"]
    if with_fields:
        mutations += ["duplicate_field", "bad_field_name", "bad_default", "field_type_number"]
    if enums:
        mutations += ["bad_symbol", "duplicate_symbol", "symbols_not_list"]
    if fixeds:
        mutations += ["bad_size"]
    mutation = draw(st.sampled_from(mutations))
    if mutation == "truncated":
        text = json.dumps(document)
        return text[: draw(st.integers(0, len(text) - 1))], mutation
    if mutation == "not_a_type":
        return json.dumps(draw(st.sampled_from([42, True, None, {"no": "type"}, []]))), mutation
    if mutation == "dangling_root":
        return json.dumps({"type": "record", "name": "R", "fields": [
            {"name": "x", "type": "Missing_Type_Zz9"}]}), mutation  # fmt: skip
    if mutation in ("fields_not_list", "nameless_record", "dangling_field"):
        target = draw(st.sampled_from(records))
        if mutation == "fields_not_list":
            target["fields"] = draw(st.sampled_from(["fields", 3, {"a": "int"}, None]))
        elif mutation == "nameless_record":
            target.pop("name", None)
        else:
            target["fields"].append({"name": "dangling_zz", "type": "Missing_Type_Zz9"})
    elif mutation in ("duplicate_field", "bad_field_name", "bad_default", "field_type_number"):
        target = draw(st.sampled_from(with_fields))
        entry = draw(st.sampled_from(target["fields"]))
        if mutation == "duplicate_field":
            target["fields"].append(dict(entry))
        elif mutation == "bad_field_name":
            entry["name"] = draw(st.sampled_from(["1st", "has-dash", "", "é", "a b", 7]))
        elif mutation == "bad_default":
            target["fields"].append({"name": "bad_default_zz", "type": "int", "default": "x"})
        else:
            entry["type"] = draw(st.sampled_from([42, 1.5, True]))
    elif mutation in ("bad_symbol", "duplicate_symbol", "symbols_not_list"):
        target = draw(st.sampled_from(enums))
        if mutation == "bad_symbol":
            target["symbols"] = [*target["symbols"], draw(st.sampled_from(["1X", "a-b", "", 3]))]
        elif mutation == "duplicate_symbol":
            target["symbols"] = [*target["symbols"], target["symbols"][0]]
        else:
            target["symbols"] = draw(st.sampled_from(["A", 3, [], None]))
    else:
        draw(st.sampled_from(fixeds))["size"] = draw(st.sampled_from([-1, "16", 1.5, None]))
    return json.dumps(document), mutation


@st.composite
def broken_json(draw: Draw) -> tuple[str, str]:
    """(the text of an invalid JSON Schema file, the mutation applied)."""
    document, _ = draw(json_schemas())
    objects = _json_objects(document)
    mutation = draw(
        st.sampled_from(
            [
                "truncated",
                "dangling_ref",
                "bad_type",
                "properties_not_object",
                "required_not_list",
                "negative_length",
                "empty_enum",
                "bad_pattern",
                "unknown_draft",
                "duplicate_required",
            ]
        )
    )
    target = draw(st.sampled_from(objects))
    if mutation == "truncated":
        text = json.dumps(document)
        return text[: draw(st.integers(0, len(text) - 1))], mutation
    if mutation == "dangling_ref":
        target["properties"]["dangling"] = {"$ref": "#/$defs/Missing_Zz9"}
    elif mutation == "bad_type":
        target["properties"]["bad"] = {"type": draw(st.sampled_from(["strin", "int", 3]))}
    elif mutation == "properties_not_object":
        target["properties"] = draw(st.sampled_from([["a"], "a", 3]))
    elif mutation == "required_not_list":
        target["required"] = draw(st.sampled_from(["a", 3, {"a": True}]))
    elif mutation == "negative_length":
        target["properties"]["short"] = {"type": "string", "minLength": -1}
    elif mutation == "empty_enum":
        target["properties"]["choice"] = {"enum": []}
    elif mutation == "bad_pattern":
        target["properties"]["code"] = {"type": "string", "pattern": "(["}
    elif mutation == "unknown_draft":
        document["$schema"] = "https://example.com/not-a-draft"
    else:
        target["properties"].setdefault("twice", {"type": "string"})
        target["required"] = ["twice", "twice"]
    return json.dumps(document), mutation


def _json_objects(node: Any) -> list[dict[str, Any]]:
    """Every object schema (with a ``properties`` object) in a JSON Schema document."""
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if isinstance(node.get("properties"), dict):
            found.append(node)
        for value in node.values():
            found += _json_objects(value)
    elif isinstance(node, list):
        for item in node:
            found += _json_objects(item)
    return found


# -- checking what was generated -----------------------------------------------------------

FUZZ_HEALTH_CHECKS = [
    HealthCheck.too_slow,
    HealthCheck.data_too_large,
    HealthCheck.filter_too_much,
    HealthCheck.large_base_example,
]


def fuzz_settings(examples: int) -> settings:
    """A fixed number of examples, derandomized: CI runs the same cases every time.

    To explore beyond them, set ``FUZZ_EXPLORE=N``: N times the examples, random cases
    (reproducible with pytest's ``--hypothesis-seed``).
    """
    explore = int(os.environ.get("FUZZ_EXPLORE", "0") or 0)
    return settings(
        max_examples=examples * max(explore, 1),
        deadline=None,
        derandomize=not explore,
        database=None,
        suppress_health_check=FUZZ_HEALTH_CHECKS,
    )


@contextmanager
def imported_strictly(out: Path, package: str) -> Iterator[ModuleType]:
    """``gen_support.imported``, with warnings as errors while importing (pydantic warns when
    a field shadows a BaseModel attribute)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with imported(out, package) as module:
            yield module


def import_all(package: ModuleType) -> list[ModuleType]:
    """Import every module of a generated package but its test skeletons."""
    modules = [package]
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if ".tests" not in info.name:
            modules.append(importlib.import_module(info.name))
    return modules


def ruff_check(folders: list[Path], config: Path) -> None:
    """One ``ruff check`` over every generated folder of a hypothesis run (E501 included: the
    generator marks the lines holding a literal too long to split)."""
    if not folders:
        return
    ruff = Path(sys.executable).parent / "ruff"
    done = subprocess.run(
        [ruff, "check", "--no-cache", "--config", config, *folders],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
