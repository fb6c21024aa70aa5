"""The Avro JSON encoding, which Pub/Sub validates for a JSON-encoded Avro topic.

Union values are wrapped as ``{"<branch name>": value}`` (``null`` stays ``null``), bytes and
fixed are strings of code points 0-255, logical types are their underlying numbers, strings or
bytes. Written here rather than with fastavro's JSON reader and writer, which recurse forever on
recursive schemas. This module encodes; ``_avro_json_decode`` reads and checks.

The encoder is a pydantic-core serializer compiled from the schema, so the walk over the model
and the JSON writing happen in Rust: encoding an ``OrderPlaced`` went from 18.5 to 9.4 us.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable, Mapping
from decimal import MAX_PREC, Context, Decimal
from functools import partial
from typing import Any

from pydantic import BaseModel
from pydantic_core import CoreSchema, SchemaSerializer
from pydantic_core import core_schema as cs

from pubsub_runtime._avro import (
    UTC,
    AvroSchema,
    AvroType,
    Conv,
    Models,
    UnionPicker,
    aware,
    identity,
    simple_nullable,
    to_model,
)
from pubsub_runtime._avro_json_decode import Invalid, JsonDecoder
from pubsub_runtime._errors import DecodeError, EncodeError
from pubsub_runtime._topic import one_line

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
_EXACT = Context(prec=MAX_PREC)  # shifting a decimal's point never rounds in this context


def decimal_bytes(value: Decimal, precision: int, scale: int, size: int | None = None) -> bytes:
    """A decimal's unscaled two's-complement big-endian bytes, as fastavro writes them."""
    _, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int):
        raise ValueError(f"{value} is not a finite decimal")
    if len(digits) > precision:
        raise ValueError(f"{value} has more digits than the precision {precision}")
    if exponent + scale < 0:
        raise ValueError(f"{value} has more decimal places than the scale {scale}")
    unscaled = int(value.scaleb(scale, _EXACT))  # exact: the checks above leave an integer
    length = size if size is not None else (abs(unscaled).bit_length() + 8) // 8
    return unscaled.to_bytes(length, "big", signed=True)


def _latin1(value: bytes) -> str:
    return value.decode("latin-1")


def _millis(value: dt.datetime) -> int:
    delta = aware(value) - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def _micros(value: dt.datetime) -> int:
    delta = aware(value) - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _local_millis(value: dt.datetime) -> int:
    return _millis(value.replace(tzinfo=UTC))


def _local_micros(value: dt.datetime) -> int:
    return _micros(value.replace(tzinfo=UTC))


def _time_micros(value: dt.time) -> int:
    return ((value.hour * 60 + value.minute) * 60 + value.second) * 1_000_000 + value.microsecond


_LEAF_WRITERS: dict[str, Conv] = {
    "bytes": _latin1,
    "uuid": str,
    "date": lambda v: v.toordinal() - _EPOCH_ORDINAL,
    "time-millis": lambda v: _time_micros(v) // 1000,
    "time-micros": _time_micros,
    "timestamp-millis": _millis,
    "timestamp-micros": _micros,
    "local-timestamp-millis": _local_millis,
    "local-timestamp-micros": _local_micros,
    "duration": lambda v: v.to_bytes().decode("latin-1"),
}


class _JsonSerializer:
    """Compiles a schema into one pydantic-core serializer that writes Avro JSON.

    Rust walks the models and writes the JSON text; Python runs only for the leaves JSON has no
    form for (decimals, bytes, timestamps...) and to name union branches. Each record becomes a
    model schema bound to its generated class; a record of another class (a value built loosely,
    or a schema whose nested classes ``named_types`` leaves out) gets a serializer of its own,
    compiled on first sight of that class.
    """

    def __init__(self, schema: AvroSchema, models: Models) -> None:
        self.models = models
        self._refs: dict[tuple[AvroType, type[Any]], str] = {}
        self._definitions: list[CoreSchema] = []
        self._lazy: dict[tuple[AvroType, type[Any] | None], Conv] = {}
        self._lock = threading.Lock()
        self.root = self._serializer(self._core(schema.root))

    def _serializer(self, core: CoreSchema) -> SchemaSerializer:
        return SchemaSerializer(cs.definitions_schema(core, list(self._definitions)))

    def _core(self, node: AvroType) -> CoreSchema:
        kind = node.kind
        if kind == "record":
            cls = self.models.by_name.get(node.name or "")
            if cls is not None:
                return self._record(node, cls)
            return _python(self._any_class(node))
        if kind in _CORE_LEAVES:
            return _CORE_LEAVES[kind]()
        if kind == "array":
            return cs.list_schema(self._core(node.child))
        if kind == "map":
            return cs.dict_schema(cs.str_schema(), self._core(node.child))
        if kind == "union":
            return _python(self._union(node))
        return _python(_leaf_writer(node))

    def _record(self, node: AvroType, cls: type[Any]) -> CoreSchema:
        key = (node, cls)
        ref = self._refs.get(key)
        if ref is None:  # the ref goes in first: a recursive record refers to itself
            ref = self._refs[key] = f"avro-record-{len(self._refs)}"
            fields = {
                attr: cs.model_field(self._core(f.type), serialization_alias=wire)
                for (attr, wire), f in zip(self.models.attrs(cls, node), node.fields, strict=True)
            }
            # pydantic-core hands an instance of a pydantic class to that class's own serializer;
            # a stand-in class keeps ours (outside unions, any object with a __dict__ passes)
            stand_in = type(cls.__name__, (), {"__module__": __name__})
            self._definitions.append(
                cs.model_schema(stand_in, cs.model_fields_schema(fields), ref=ref)
            )
        return cs.definition_reference_schema(ref)

    def _any_class(self, node: AvroType) -> Conv:
        def convert(value: Any) -> Any:
            return self._of_class(node, type(value))(value)

        return convert

    def _of_class(self, node: AvroType, cls: type[Any]) -> Conv:
        return self._compiled((node, cls), lambda: self._record(node, cls))

    def _compiled(
        self, key: tuple[AvroType, type[Any] | None], core: Callable[[], CoreSchema]
    ) -> Conv:
        """A serializer compiled on first use (once every record the schema names is defined)."""
        found = self._lazy.get(key)
        if found is None:
            with self._lock:  # compiling adds definitions: one thread at a time
                found = self._lazy.get(key)
                if found is None:
                    to_python = self._serializer(core()).to_python
                    found = self._lazy[key] = partial(to_python, mode="json", by_alias=True)
        return found

    def _union(self, node: AvroType) -> Conv:
        other = simple_nullable(node)
        if other is not None:
            name, inner = other.branch_name, _leaf_writer(other)
            return lambda v: None if v is None else {name: inner(v)}
        pick = UnionPicker(node.branches, self.models).pick
        names = [None if b.kind == "null" else b.branch_name for b in node.branches]
        convs = [self._branch(b) for b in node.branches]

        def convert(value: Any) -> Any:
            index = pick(value)
            name = names[index]
            return None if name is None else {name: convs[index](value)}

        return convert

    def _branch(self, node: AvroType) -> Conv:
        if node.kind == "record":
            return self._any_class(node)
        if node.kind in ("array", "map", "union"):
            return lambda v: self._compiled((node, None), lambda: self._core(node))(v)
        return _leaf_writer(node)


def _python(convert: Conv) -> CoreSchema:
    """A value that a Python function turns into JSON data."""
    return cs.any_schema(serialization=cs.plain_serializer_function_ser_schema(convert))


def _finite(value: float) -> float:
    # Pub/Sub's parser rejects NaN and infinities in any spelling, so they are not Avro JSON here
    if value - value != 0.0:
        raise ValueError(f"{value} is not a finite number, which JSON cannot hold")
    return value


_CORE_LEAVES: dict[str, Callable[[], CoreSchema]] = {
    "null": cs.none_schema,
    "boolean": cs.bool_schema,
    "int": cs.int_schema,
    "long": cs.int_schema,
    "string": cs.str_schema,
    "enum": cs.any_schema,  # a StrEnum member: written as its value
    "uuid": cs.uuid_schema,
    "float": lambda: _python(_finite),
    "double": lambda: _python(_finite),
}


def _leaf_writer(node: AvroType) -> Conv:
    """Converter of a value of a leaf type into its JSON data."""
    kind = node.kind
    if kind in _LEAF_WRITERS:
        return _LEAF_WRITERS[kind]
    if kind in ("float", "double"):
        return _finite
    if kind == "fixed":
        size, name = node.size, node.name

        def fixed(value: bytes) -> str:
            if len(value) != size:
                raise ValueError(f"fixed {name} holds {size} bytes, not {len(value)}")
            return value.decode("latin-1")

        return fixed
    if kind == "decimal":
        precision, scale = node.precision, node.scale
        width = node.size if node.base == "fixed" else None
        return lambda v: decimal_bytes(v, precision, scale, width).decode("latin-1")
    return identity


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_READER = json.JSONDecoder(parse_constant=_no_constant)  # built once: json.loads(**kw) is not


class AvroJsonCodec:
    """Avro JSON encoding: compact, deterministic, what Pub/Sub accepts for a JSON Avro topic."""

    def __init__(
        self,
        topic: str,
        model: type[BaseModel],
        schema: AvroSchema,
        named_types: Mapping[str, type[Any]],
    ) -> None:
        self.topic = topic
        self.model = model
        models = Models(model, named_types, schema)
        self._is_root = models.is_root
        self._to_json = _JsonSerializer(schema, models).root.to_json
        self._from_json = JsonDecoder(models).conv(schema.root)

    def encode(self, value: Any) -> bytes:
        try:
            instance = to_model(self.model, value)
            target = instance.root if self._is_root else instance  # type: ignore[attr-defined]
            return self._to_json(target, by_alias=True)
        except Exception as exc:
            raise EncodeError(self.topic, one_line(exc)) from exc

    def decode(self, data: bytes) -> Any:
        try:
            text = data if isinstance(data, str) else bytes(data).decode()
            value = _READER.decode(text)
        except (ValueError, TypeError) as exc:
            raise DecodeError(self.topic, f"not JSON: {one_line(exc)}") from exc
        try:
            return self.model.model_validate(self._from_json(value))
        except Invalid as exc:
            raise DecodeError(self.topic, f"{exc.where()}: {exc.message}") from exc
        except Exception as exc:
            raise DecodeError(self.topic, one_line(exc)) from exc
