"""The Avro binary codec: exactly what ``fastavro.schemaless_writer`` writes, read back.

Encoding hands fastavro a datum built mostly by ``model_dump``; union values go in fastavro's
tuple notation ``(branch name, value)`` so that the branch is never guessed (two records of the
same shape, an enum beside a string). Decoding reads with ``return_named_type`` so that named
union branches come tagged, turns those into their generated classes, and validates the rest
with ``model_validate`` (measured as fast as building models without validation).
"""

from __future__ import annotations

from collections.abc import Mapping
from io import BytesIO
from typing import Any

import fastavro
from pydantic import BaseModel

from pubsub_runtime._avro import (
    AvroSchema,
    AvroType,
    Conv,
    Models,
    Trampoline,
    UnionPicker,
    aware,
    dump,
    identity,
    map_beside_record,
    needing,
    simple_nullable,
    to_model,
)
from pubsub_runtime._errors import DecodeError, EncodeError
from pubsub_runtime._topic import Duration, one_line


class _BinaryEncoder:
    """model -> fastavro datum: records as dicts by wire name, unions in tuple notation."""

    def __init__(self, schema: AvroSchema, models: Models) -> None:
        self.models = models
        self.needs = needing(schema.records, self._needs)
        self._records: dict[AvroType, Conv] = {}

    def _needs(self, node: AvroType, state: dict[AvroType, bool]) -> bool:
        kind = node.kind
        if kind == "record":
            return state[node]
        if kind in ("duration", "timestamp-millis", "timestamp-micros"):
            return True
        if kind in ("array", "map"):
            return self._needs(node.child, state)
        if kind == "union":
            other = simple_nullable(node)
            return other is None or self._needs(other, state)
        return False

    def full(self, node: AvroType) -> Conv | None:
        """Converter of a whole value of ``node`` (None: the value is already a datum)."""
        kind = node.kind
        if kind == "record":
            return self._record(node) if self.needs[node] else dump
        if kind == "duration":
            return Duration.to_bytes
        if kind in ("timestamp-millis", "timestamp-micros"):
            return aware
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
        plans: dict[type[Any], tuple[set[str], list[tuple[str, str, Conv]]]] = {}
        models = self.models

        def convert(model: BaseModel) -> Any:
            plan = plans.get(type(model))
            if plan is None:
                attrs = models.attrs(type(model), node)
                patch = [(a, w, patched[w]) for a, w in attrs if w in patched]
                plan = plans[type(model)] = ({a for a, _, _ in patch}, patch)
            datum = model.model_dump(by_alias=True, exclude=plan[0])
            for attr, wire, conv in plan[1]:
                datum[wire] = conv(getattr(model, attr))
            return datum

        trampoline.target = self._records[node] = convert
        return convert

    def _union(self, node: AvroType) -> Conv | None:
        other = simple_nullable(node)
        if other is not None:
            inner = self.full(other)
            if inner is None:
                return None
            return lambda v: None if v is None else inner(v)
        pick = UnionPicker(node.branches, self.models).pick
        names = [b.branch_name for b in node.branches]
        convs = [self.full(b) or identity for b in node.branches]

        def convert(value: Any) -> Any:
            index = pick(value)
            return names[index], convs[index](value)

        return convert


class _BinaryDecoder:
    """fastavro datum (read with ``return_named_type``) -> input for ``model_validate``."""

    def __init__(self, schema: AvroSchema, models: Models) -> None:
        self.models = models
        self.needs = needing(schema.records, self._needs)
        self._records: dict[AvroType, Conv] = {}

    def _needs(self, node: AvroType, state: dict[AvroType, bool]) -> bool:
        kind = node.kind
        if kind == "record":
            return state[node]
        if kind in ("array", "map"):
            return self._needs(node.child, state)
        if kind == "union":  # fastavro tags named branches as (name, value)
            return any(b.name is not None or self._needs(b, state) for b in node.branches)
        return kind == "duration"

    def conv(self, node: AvroType) -> Conv | None:
        kind = node.kind
        if kind == "record":
            return self._record(node) if self.needs[node] else None
        if kind == "duration":
            return Duration.from_bytes
        if kind in ("array", "map"):
            inner = self.conv(node.child)
            if inner is None:
                return None
            if kind == "array":
                return lambda v: [inner(x) for x in v]
            return lambda v: {k: inner(x) for k, x in v.items()}
        if kind == "union":
            return self._union(node) if self._needs(node, self.needs) else None
        return None

    def _record(self, node: AvroType) -> Conv:
        built = self._records.get(node)
        if built is not None:
            return built
        trampoline = self._records[node] = Trampoline()
        fields = [(f.name, c) for f in node.fields if (c := self.conv(f.type)) is not None]

        def convert(datum: dict[str, Any]) -> dict[str, Any]:
            for wire, conv in fields:  # the datum is ours: update it in place
                datum[wire] = conv(datum[wire])
            return datum

        trampoline.target = self._records[node] = convert
        return convert

    def named(self, node: AvroType) -> Conv:
        """Converter of a named union branch into its generated class."""
        cls = self.models.by_name.get(node.name or "")
        if node.kind == "record":
            inner = self.conv(node)
            if cls is None:
                return inner or identity
            validate = cls.model_validate
            return validate if inner is None else (lambda d: validate(inner(d)))
        if node.kind == "enum":
            return cls or identity
        return Duration.from_bytes if node.kind == "duration" else identity

    def typed(self, node: AvroType) -> Conv | None:
        """Converter of a value of ``node`` into its final Python types (model and enum
        instances all the way down), for values pydantic must not re-guess."""
        kind = node.kind
        if kind in ("record", "enum"):
            return self.named(node)
        if kind in ("array", "map"):
            inner = self.typed(node.child)
            if inner is None:
                return None
            if kind == "array":
                return lambda v: [inner(x) for x in v]
            return lambda v: {k: inner(x) for k, x in v.items()}
        return self.conv(node)

    def _union(self, node: AvroType) -> Conv:
        named = {b.name: self.named(b) for b in node.branches if b.name is not None}
        array = next((self.conv(b) for b in node.branches if b.kind == "array"), None)
        map_conv = self.typed if map_beside_record(node) else self.conv
        map_ = next((map_conv(b) for b in node.branches if b.kind == "map"), None)

        def convert(value: Any) -> Any:
            if type(value) is tuple:
                return named[value[0]](value[1])
            if array is not None and type(value) is list:
                return array(value)
            if map_ is not None and type(value) is dict:
                return map_(value)
            return value

        return convert


class AvroBinaryCodec:
    """Avro binary encoding: exactly what ``fastavro.schemaless_writer`` writes."""

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
        self._parsed = schema.parsed
        self._to_datum = _BinaryEncoder(schema, models).full(schema.root) or identity
        self._from_datum = _BinaryDecoder(schema, models).conv(schema.root) or identity

    def encode(self, value: Any) -> bytes:
        try:
            instance = to_model(self.model, value)
            datum = self._to_datum(instance.root if self._is_root else instance)  # type: ignore[attr-defined]
            buffer = BytesIO()
            fastavro.schemaless_writer(buffer, self._parsed, datum)
        except Exception as exc:
            raise EncodeError(self.topic, one_line(exc)) from exc
        return buffer.getvalue()

    def decode(self, data: bytes) -> Any:
        try:
            buffer = BytesIO(data)
            datum = fastavro.schemaless_reader(buffer, self._parsed, None, return_named_type=True)
            if buffer.tell() != len(data):
                raise ValueError(f"{len(data) - buffer.tell()} bytes left after the message")
        except Exception as exc:
            reason = f"not Avro binary of this schema: {one_line(exc)}"
            raise DecodeError(self.topic, reason) from exc
        try:
            return self.model.model_validate(self._from_datum(datum))
        except Exception as exc:
            raise DecodeError(self.topic, one_line(exc)) from exc
