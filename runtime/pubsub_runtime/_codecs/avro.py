"""Avro schemas as a small typed graph, and what the binary and JSON Avro codecs share.

Both codecs compile once per topic from this graph: encoders into a pydantic-core serializer
(``avro_serializer``), decoders into converters that build input for ``model_validate``.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from uuid import UUID

import fastavro
import fastavro.read
from pydantic import BaseModel, RootModel

from pubsub_runtime._duration import Duration

Conv = Callable[[Any], Any]

PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
# The logical types fastavro converts, by (underlying type, logicalType); others stay plain.
_LOGICAL = frozenset(
    {
        ("long", "timestamp-millis"),
        ("long", "timestamp-micros"),
        ("long", "local-timestamp-millis"),
        ("long", "local-timestamp-micros"),
        ("int", "date"),
        ("int", "time-millis"),
        ("long", "time-micros"),
        ("bytes", "decimal"),
        ("string", "uuid"),
    }
)
_KNOWN = PRIMITIVES | {"record", "error", "enum", "fixed", "array", "map"}
INT_RANGE = (-(2**31), 2**31 - 1)
LONG_RANGE = (-(2**63), 2**63 - 1)
UTC = dt.UTC
EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)  # where timestamp-* count from
EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()  # where date counts from


@dataclass(eq=False, slots=True)
class AvroField:
    name: str
    type: AvroType


@dataclass(eq=False, slots=True)
class AvroType:
    """One node of a schema; named types are shared nodes, so recursion is a cycle."""

    kind: str  # a primitive, record, enum, fixed, array, map, union, or a logical type's name
    base: str  # the Avro type underneath a logical type (fixed for decimal-on-fixed, duration)
    name: str | None = None  # full name of a named type (record, enum, fixed)
    fields: list[AvroField] = field(default_factory=list)
    symbols: tuple[str, ...] = ()
    size: int = 0
    items: AvroType | None = None  # array items or map values
    branches: list[AvroType] = field(default_factory=list)
    precision: int = 0
    scale: int = 0

    @property
    def branch_name(self) -> str:
        """How a union names this branch (Avro JSON key, fastavro tuple notation)."""
        return self.name or self.base

    @property
    def child(self) -> AvroType:
        assert self.items is not None
        return self.items


@dataclass(slots=True)
class AvroSchema:
    root: AvroType
    parsed: Any  # fastavro's parsed form, for its reader and writer
    records: list[AvroType]
    named: dict[str, AvroType]
    # Named types fastavro knows by another name (see ``for_fastavro``): full name -> its name
    fastavro_names: dict[str, str] = field(default_factory=dict)
    document: Any = None  # the JSON document fastavro parsed (after ``for_fastavro``)


# fastavro reads a reference to a type named like these (in the null namespace) as the keyword.
_KEYWORD_NAMES = frozenset({"record", "error", "enum", "fixed", "array", "map"})
_NAMED_KINDS = frozenset({"record", "error", "enum", "fixed"})


def for_fastavro(document: Any) -> tuple[Any, dict[str, str]]:
    """``document`` as fastavro reads it right, and the names it changed (old -> new).

    Two things differ from the specification in fastavro: a named type called ``record``,
    ``enum``, ``fixed``, ``map``, ``error`` or ``array`` in the null namespace is misread
    where it is referred to, so it is renamed (Avro binary carries no names: the bytes are
    the same); and an invalid ``decimal`` is refused, where the specification says to ignore
    an invalid logical type, so its ``logicalType`` is dropped (the bytes or fixed stays).
    """
    defined: set[str] = set()
    keyword_named: list[str] = []

    def names(node: Any, space: str) -> None:
        if isinstance(node, list):
            for branch in node:
                names(branch, space)
        elif isinstance(node, dict):
            kind = node.get("type")
            if isinstance(kind, dict | list):
                names(kind, space)
            elif kind in _NAMED_KINDS and isinstance(node.get("name"), str):
                full, space = _full_name(node, space)
                defined.add(full)
                if full in _KEYWORD_NAMES:
                    keyword_named.append(full)
                for f in node.get("fields") or ():
                    if isinstance(f, dict):
                        names(f.get("type"), space)
            else:
                names(node.get("items"), space)
                names(node.get("values"), space)

    names(document, "")
    renames: dict[str, str] = {}
    for name in keyword_named:
        new = name + "_"
        while new in defined:
            new += "_"
        defined.add(new)
        renames[name] = new

    def rewrite(node: Any, space: str) -> Any:
        if isinstance(node, str):
            return renames.get(node, node) if not space else node
        if isinstance(node, list):
            return [rewrite(branch, space) for branch in node]
        if not isinstance(node, dict):
            return node
        kind = node.get("type")
        copy = dict(node)
        if isinstance(kind, dict | list):
            copy["type"] = rewrite(kind, space)
        elif kind in _NAMED_KINDS and isinstance(node.get("name"), str):
            full, space = _full_name(node, space)
            if full in renames:
                copy["name"] = renames[full]
            if isinstance(node.get("fields"), list):
                copy["fields"] = [
                    {**f, "type": rewrite(f.get("type"), space)} if isinstance(f, dict) else f
                    for f in node["fields"]
                ]
        elif isinstance(kind, str) and kind not in PRIMITIVES and kind not in _KNOWN:
            copy["type"] = rewrite(kind, space)  # {"type": "<a name>"}
        for key in ("items", "values"):
            if key in node:
                copy[key] = rewrite(node[key], space)
        if node.get("logicalType") == "decimal" and not _valid_decimal(node, kind):
            del copy["logicalType"]
        return copy

    return rewrite(document, ""), renames


def _full_name(node: dict[str, Any], space: str) -> tuple[str, str]:
    """(full name, namespace) of a named type defined in namespace ``space``."""
    name: str = node["name"]
    if "." in name:
        return name, name.rpartition(".")[0]
    declared = node.get("namespace")
    own = declared if isinstance(declared, str) else space
    return (f"{own}.{name}" if own else name), own


def _valid_decimal(node: dict[str, Any], kind: Any) -> bool:
    """What the specification asks of a decimal's precision and scale (and a fixed's size)."""
    precision, scale = node.get("precision"), node.get("scale", 0)
    if type(precision) is not int or precision < 1:
        return False
    if type(scale) is not int or not 0 <= scale <= precision:
        return False
    if kind == "fixed":
        size = node.get("size")
        if type(size) is not int or size < 1:
            return False
        return bool(precision <= math.floor(math.log10(2 ** (8 * size - 1) - 1)))
    return bool(kind == "bytes")


def load_schema(definition: str) -> AvroSchema:
    """Parse an Avro schema's JSON text (with fastavro) into ``AvroType`` nodes."""
    document, renames = for_fastavro(json.loads(definition))
    original = {new: old for old, new in renames.items()}
    parsed = fastavro.parse_schema(document)
    declared: dict[str, Any] = parsed.get("__named_schemas", {}) if isinstance(parsed, dict) else {}
    named: dict[str, AvroType] = {}
    records: list[AvroType] = []

    def build(node: Any) -> AvroType:
        if isinstance(node, str):
            if node in PRIMITIVES:
                return AvroType(node, node)
            return named[node] if node in named else build(declared[node])
        if isinstance(node, list):
            return AvroType("union", "union", branches=[build(b) for b in node])
        kind = node["type"]
        if not isinstance(kind, str) or kind not in _KNOWN:
            return build(kind)  # {"type": <a type or a name>} wraps that type
        if kind in ("record", "error"):
            name = original.get(node["name"], node["name"])
            record = named[node["name"]] = AvroType("record", "record", name=name)
            records.append(record)
            record.fields = [AvroField(f["name"], build(f["type"])) for f in node["fields"]]
            return record
        if kind == "enum":
            name = original.get(node["name"], node["name"])
            enum = AvroType("enum", "enum", name=name, symbols=tuple(node["symbols"]))
            named[node["name"]] = enum
            return enum
        if kind == "fixed":
            logical, size = node.get("logicalType"), node["size"]
            name = original.get(node["name"], node["name"])
            if logical == "decimal":
                fixed = AvroType("decimal", "fixed", name, size=size)
                fixed.precision, fixed.scale = node["precision"], node.get("scale", 0)
            elif logical == "duration" and size == 12:
                fixed = AvroType("duration", "fixed", name, size=size)
            else:
                fixed = AvroType("fixed", "fixed", name, size=size)
            named[node["name"]] = fixed
            return fixed
        if kind in ("array", "map"):
            return AvroType(kind, kind, items=build(node["items" if kind == "array" else "values"]))
        logical = node.get("logicalType")
        if (kind, logical) in _LOGICAL:
            typed = AvroType(logical, kind)
            if logical == "decimal":
                typed.precision, typed.scale = node["precision"], node.get("scale", 0)
            return typed
        if kind in PRIMITIVES:
            return AvroType(kind, kind)
        raise ValueError(f"unsupported Avro type {kind!r}")

    root = build(parsed)
    by_full_name = {original.get(name, name): node for name, node in named.items()}
    return AvroSchema(root, parsed, records, by_full_name, renames, document)


def needing(
    records: Iterable[AvroType], needs: Callable[[AvroType, dict[AvroType, bool]], bool]
) -> dict[AvroType, bool]:
    """Which records need a converter, by fixpoint, since recursive records depend on themselves.

    ``needs(node, state)`` answers for one node, reading ``state`` for records instead of
    descending into them.
    """
    state = dict.fromkeys(records, False)
    changed = True
    while changed:
        changed = False
        for record in state:
            if not state[record] and any(needs(f.type, state) for f in record.fields):
                state[record] = changed = True
    return state


class Trampoline:
    """Stands for a record's converter while that converter is being built (recursion)."""

    __slots__ = ("target",)

    def __init__(self) -> None:
        self.target: Conv = _unset

    def __call__(self, value: Any) -> Any:
        return self.target(value)


def _unset(value: Any) -> Any:
    raise RuntimeError("converter used before it was built")


def identity(value: Any) -> Any:
    return value


class Models:
    """The generated classes of a schema's named types, checked against the schema."""

    def __init__(
        self, model: type[BaseModel], named_types: Mapping[str, type[Any]], schema: AvroSchema
    ) -> None:
        self.model = model
        self.is_root = issubclass(model, RootModel)
        self.by_name: dict[str, type[Any]] = dict(named_types)
        root = schema.root
        if root.kind == "record" and not self.is_root:
            self.by_name.setdefault(root.name or "", model)
        self._attrs: dict[tuple[type[Any], AvroType], list[tuple[str, str]]] = {}
        for name, cls in self.by_name.items():
            node = schema.named.get(name)
            if node is None:
                raise ValueError(f"named_types has {name!r}, which the schema does not define")
            if node.kind == "record":
                self.attrs(cls, node)
            elif node.kind == "enum":
                _check_enum(cls, node)

    def attrs(self, cls: type[Any], record: AvroType) -> list[tuple[str, str]]:
        """(attribute, wire name) of each field of ``record``, in schema order, for ``cls``."""
        key = (cls, record)
        found = self._attrs.get(key)
        if found is None:
            found = self._attrs[key] = _match_fields(cls, record)
        return found


def _match_fields(cls: type[Any], record: AvroType) -> list[tuple[str, str]]:
    if not (isinstance(cls, type) and issubclass(cls, BaseModel)):
        raise ValueError(f"{cls!r} for Avro record {record.name} is not a pydantic model")
    by_wire = {
        (info.serialization_alias or info.alias or attr): attr
        for attr, info in cls.model_fields.items()
    }
    wires = [f.name for f in record.fields]
    missing = [w for w in wires if w not in by_wire]
    extra = sorted(set(by_wire) - set(wires))
    if missing or extra:
        raise ValueError(
            f"model {cls.__qualname__} does not match Avro record {record.name}"
            + (f"; missing fields {missing}" if missing else "")
            + (f"; fields not in the schema {extra}" if extra else "")
        )
    return [(by_wire[w], w) for w in wires]


def _check_enum(cls: type[Any], node: AvroType) -> None:
    try:
        for symbol in node.symbols:
            cls(symbol)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{cls!r} does not hold the symbols of Avro enum {node.name}") from exc


# Branch kinds whose acceptance depends on the value, not only its type (ranges, sizes, zones).
_VALUE_DEPENDENT = frozenset(
    {"int", "long", "fixed", "timestamp-millis", "timestamp-micros"}
    | {"local-timestamp-millis", "local-timestamp-micros"}
)


class UnionPicker:
    """Chooses the union branch of a Python value when encoding (exact types first)."""

    def __init__(self, branches: list[AvroType], models: Models) -> None:
        self.branches = branches
        self.models = models
        self._by_type: dict[type[Any], int] | None = (
            None if any(b.kind in _VALUE_DEPENDENT for b in branches) else {}
        )

    def pick(self, value: Any) -> int:
        cache = self._by_type
        if cache is not None:
            index = cache.get(type(value))
            if index is not None:
                return index
        for loose in (False, True):
            matches = [i for i, b in enumerate(self.branches) if self._accepts(b, value, loose)]
            if matches:
                index = matches[0]
                if self.branches[index].kind == "float":  # like fastavro: keep a double's precision
                    index = next((i for i in matches if self.branches[i].kind == "double"), index)
                if cache is not None and not loose:
                    cache[type(value)] = index
                return index
        names = ", ".join(b.branch_name for b in self.branches)
        raise ValueError(f"a {type(value).__name__} value fits no branch of union [{names}]")

    def _accepts(self, node: AvroType, v: Any, loose: bool) -> bool:
        kind = node.kind
        if kind == "null":
            return v is None
        if kind == "boolean":
            return isinstance(v, bool)
        if kind in ("int", "long"):
            low, high = INT_RANGE if kind == "int" else LONG_RANGE
            exact = type(v) is int or (loose and isinstance(v, int) and not isinstance(v, bool))
            return exact and low <= v <= high
        if kind in ("float", "double"):
            return type(v) is float or (loose and isinstance(v, (int, float)))
        if kind == "string":
            return type(v) is str or (loose and isinstance(v, str))
        if kind in ("bytes", "fixed"):
            return isinstance(v, (bytes, bytearray)) and (kind == "bytes" or len(v) == node.size)
        if kind in ("enum", "record"):
            cls = self.models.by_name.get(node.name or "")
            if cls is not None and isinstance(v, cls):
                return True
            if kind == "enum":
                return loose and isinstance(v, str) and v in node.symbols
            short = (node.name or "").rpartition(".")[2]
            return loose and isinstance(v, BaseModel) and type(v).__name__ == short
        if kind == "array":
            return isinstance(v, (list, tuple))
        if kind == "map":
            return isinstance(v, Mapping)
        if kind == "date":
            return isinstance(v, dt.date) and not isinstance(v, dt.datetime)
        if kind.startswith(("timestamp", "local-timestamp")):
            aware_wanted = kind.startswith("timestamp")
            return isinstance(v, dt.datetime) and (loose or (v.tzinfo is not None) == aware_wanted)
        wanted = _LOGICAL_CLASSES.get(kind)
        return wanted is not None and isinstance(v, wanted)


_LOGICAL_CLASSES: dict[str, type[Any]] = {
    "decimal": Decimal,
    "uuid": UUID,
    "time-millis": dt.time,
    "time-micros": dt.time,
    "duration": Duration,
}


def simple_nullable(node: AvroType) -> AvroType | None:
    """The other branch of a ``[null, T]`` union whose ``T`` is neither named nor a container."""
    if node.kind != "union" or len(node.branches) != 2:
        return None
    kinds = [b.kind for b in node.branches]
    if "null" not in kinds:
        return None
    other = node.branches[1 - kinds.index("null")]
    if other.name is not None or other.kind in ("array", "map", "union", "null"):
        return None
    return other


def map_beside_record(node: AvroType) -> bool:
    """Whether a union holds a map and a record: pydantic's smart union may then take a decoded
    map for the record (one without required fields takes any dict), unless every value in the
    map is already of its final type (enum and model instances), which pydantic keeps as-is."""
    kinds = {b.kind for b in node.branches}
    return "map" in kinds and "record" in kinds


# fastavro's compiled reader, whose ``_read_data`` reads from a file object; its pure-Python
# build reads through a decoder object instead, so there ``schemaless_reader`` is called.
_COMPILED: Any = getattr(fastavro.read, "_read", None)
if getattr(_COMPILED, "CYTHON_MODULE", 0) != 1 or not callable(getattr(_COMPILED, "_read_data", 0)):
    _COMPILED = None


@dataclass(frozen=True, slots=True)
class PreparedReader:
    """``fastavro.schemaless_reader(fo, writer, reader, return_named_type=...)`` as
    ``read(fo, writer, named, reader, options)``, with everything but ``fo`` made once.

    On every call schemaless_reader compares the two schemas, parses both again (a no-op on
    parsed schemas but for gathering their named types into a fresh dict) and builds its
    options; then its compiled ``_read_data`` reads. Those steps give the same result every
    time, and take about a tenth of the reading of a 10-field record (more with a reader
    schema that is nearly the writer's: they are compared in full), so they are done here
    once, and decoders call ``_read_data`` (fastavro's own reading, untouched) themselves.
    """

    read: Callable[[Any, Any, Any, Any, Any], Any]
    writer: Any
    named: Any
    reader: Any
    options: Any

    @classmethod
    def of(cls, writer: Any, reader: Any = None, *, return_named_type: bool) -> PreparedReader:
        """``writer`` and ``reader`` as ``schemaless_reader`` takes them (parsed or not)."""
        if _COMPILED is None:
            return cls(_schemaless, writer, None, reader, return_named_type)
        # what schemaless_reader does before reading, in its order
        if writer == reader:
            reader = None
        named: dict[str, dict[str, Any]] = {"writer": {}, "reader": {}}
        writer = fastavro.parse_schema(writer, named["writer"])
        if reader:
            reader = fastavro.parse_schema(reader, named["reader"])
        options = {
            "return_record_name": False,
            "return_record_name_override": False,
            "handle_unicode_errors": "strict",
            "return_named_type": return_named_type,
            "return_named_type_override": False,
        }
        return cls(_COMPILED._read_data, writer, named, reader, options)

    def fields(self) -> tuple[Callable[[Any, Any, Any, Any, Any], Any], Any, Any, Any, Any]:
        """``read`` and its arguments after ``fo``, for a decoder to bind as locals."""
        return self.read, self.writer, self.named, self.reader, self.options

    def __call__(self, fo: Any) -> Any:
        """The datum read from ``fo`` (decoders bind the fields and call ``read`` inline)."""
        return self.read(fo, self.writer, self.named, self.reader, self.options)


def _schemaless(fo: Any, writer: Any, named: Any, reader: Any, return_named_type: Any) -> Any:
    return fastavro.schemaless_reader(fo, writer, reader, return_named_type=return_named_type)


def aware(value: dt.datetime) -> dt.datetime:
    """Timestamps are instants: a naive datetime is taken as UTC, whatever the host's zone."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def to_model(model: type[BaseModel], value: Any) -> BaseModel:
    """``value`` as an instance of ``model`` (validated when it is not one already)."""
    if isinstance(value, model):
        return value
    return model.model_validate(value)
