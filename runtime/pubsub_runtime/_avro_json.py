"""The Avro JSON encoding, which Pub/Sub validates for a JSON-encoded Avro topic.

Union values are wrapped as ``{"<branch name>": value}`` (``null`` stays ``null``), bytes and
fixed are strings of code points 0-255, logical types are their underlying numbers, strings or
bytes. Written here rather than with fastavro's JSON reader and writer, which recurse forever on
recursive schemas. This module encodes; ``_avro_json_decode`` reads and checks.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from pubsub_runtime._avro import (
    UTC,
    AvroSchema,
    AvroType,
    Conv,
    Models,
    Trampoline,
    UnionPicker,
    aware,
    dump,
    identity,
    needing,
    simple_nullable,
    to_model,
)
from pubsub_runtime._avro_json_decode import Invalid, JsonDecoder
from pubsub_runtime._errors import DecodeError, EncodeError
from pubsub_runtime._topic import one_line

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
# Pub/Sub's parser rejects NaN and infinities in any spelling, so they are not Avro JSON here.
_WRITER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)
_PLAIN = frozenset({"null", "boolean", "int", "long", "float", "double", "string", "enum"})


def decimal_bytes(value: Decimal, precision: int, scale: int, size: int | None = None) -> bytes:
    """A decimal's unscaled two's-complement big-endian bytes, as fastavro writes them."""
    sign, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int):
        raise ValueError(f"{value} is not a finite decimal")
    if len(digits) > precision:
        raise ValueError(f"{value} has more digits than the precision {precision}")
    if exponent + scale < 0:
        raise ValueError(f"{value} has more decimal places than the scale {scale}")
    unscaled: int = int("".join(map(str, digits)) or "0") * 10 ** (exponent + scale)
    length = size if size is not None else (unscaled.bit_length() + 8) // 8
    return (-unscaled if sign else unscaled).to_bytes(length, "big", signed=True)


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


class _JsonEncoder:
    """model -> Avro JSON value; plain parts come from ``model_dump``, the rest is converted."""

    def __init__(self, schema: AvroSchema, models: Models) -> None:
        self.models = models
        self.needs = needing(schema.records, self._needs)
        self._records: dict[AvroType, Conv] = {}

    def _needs(self, node: AvroType, state: dict[AvroType, bool]) -> bool:
        if node.kind == "record":
            return state[node]
        if node.kind in ("array", "map"):
            return self._needs(node.child, state)
        return node.kind not in _PLAIN

    def full(self, node: AvroType) -> Conv | None:
        """Converter of a whole value of ``node`` (None: ``json`` writes it as it is)."""
        kind = node.kind
        if kind == "record":
            return self._record(node) if self.needs[node] else dump
        if kind in _LEAF_WRITERS:
            return _LEAF_WRITERS[kind]
        if kind == "fixed":
            size = node.size

            def fixed(value: bytes) -> str:
                if len(value) != size:
                    raise ValueError(f"fixed {node.name} holds {size} bytes, not {len(value)}")
                return value.decode("latin-1")

            return fixed
        if kind == "decimal":
            precision, scale = node.precision, node.scale
            width = node.size if node.base == "fixed" else None
            return lambda v: decimal_bytes(v, precision, scale, width).decode("latin-1")
        if kind in ("array", "map"):
            inner = self.full(node.child)
            if inner is None:
                return None
            if kind == "array":
                return lambda v: [inner(x) for x in v]
            return lambda v: {k: inner(x) for k, x in v.items()}
        if kind == "union":
            return self._union(node)
        return None

    def _record(self, node: AvroType) -> Conv:
        built = self._records.get(node)
        if built is not None:
            return built
        trampoline = self._records[node] = Trampoline()
        patched = {
            f.name: conv
            for f in node.fields
            if self._needs(f.type, self.needs) and (conv := self.full(f.type)) is not None
        }
        plans: dict[type[Any], tuple[set[str], list[tuple[str, str, Conv | None]]]] = {}
        models = self.models

        def convert(model: BaseModel) -> dict[str, Any]:
            plan = plans.get(type(model))
            if plan is None:
                fields = [(a, w, patched.get(w)) for a, w in models.attrs(type(model), node)]
                plan = plans[type(model)] = ({a for a, _, c in fields if c is not None}, fields)
            dumped = model.model_dump(by_alias=True, exclude=plan[0])
            value = {}
            for attr, wire, conv in plan[1]:  # in schema order; a loop, as deep data recurses here
                value[wire] = dumped[wire] if conv is None else conv(getattr(model, attr))
            return value

        trampoline.target = self._records[node] = convert
        return convert

    def _union(self, node: AvroType) -> Conv:
        other = simple_nullable(node)
        if other is not None:
            name, inner = other.branch_name, self.full(other) or identity
            return lambda v: None if v is None else {name: inner(v)}
        pick = UnionPicker(node.branches, self.models).pick
        names = [None if b.kind == "null" else b.branch_name for b in node.branches]
        convs = [self.full(b) or identity for b in node.branches]

        def convert(value: Any) -> Any:
            index = pick(value)
            name = names[index]
            return None if name is None else {name: convs[index](value)}

        return convert


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
        self._to_json = _JsonEncoder(schema, models).full(schema.root) or identity
        self._from_json = JsonDecoder(models).conv(schema.root)

    def encode(self, value: Any) -> bytes:
        try:
            instance = to_model(self.model, value)
            target = instance.root if self._is_root else instance  # type: ignore[attr-defined]
            return _WRITER.encode(self._to_json(target)).encode()
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
