"""The Avro binary codec: exactly what ``fastavro.schemaless_writer`` writes, read back.

Encoding hands fastavro a datum built by a serializer compiled from the schema
(``_avro_serializer``); union values go in fastavro's tuple notation ``(branch name, value)``
so that the branch is never guessed (two records of the same shape, an enum beside a string).
Decoding reads with ``return_named_type`` so that named union branches come tagged, turns those
into their generated classes, and validates the rest with ``model_validate`` (measured as fast
as building models without validation).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from functools import partial
from io import BytesIO
from typing import Any

import fastavro
from pydantic import BaseModel
from pydantic_core import CoreSchema
from pydantic_core import core_schema as cs

from pubsub_runtime._avro import (
    AvroSchema,
    AvroType,
    Conv,
    Models,
    Trampoline,
    aware,
    identity,
    map_beside_record,
    needing,
    to_model,
)
from pubsub_runtime._avro_serializer import CompiledEncoder, Wire
from pubsub_runtime._errors import DecodeError, EncodeError
from pubsub_runtime._topic import Duration, one_line


def _native(node: AvroType) -> CoreSchema | None:
    return None if node.kind in _WRITERS else cs.any_schema()  # fastavro takes the value as is


def _writer(node: AvroType) -> Conv:
    return _WRITERS.get(node.kind, identity)


def _tag(name: str, value: Any) -> Any:
    return name, value


# Timestamps are instants (a naive one is UTC, not the host's zone); durations are 12 bytes.
_WRITERS: dict[str, Conv] = {
    "timestamp-millis": aware,
    "timestamp-micros": aware,
    "duration": Duration.to_bytes,
}
# Datums in fastavro's form; union values in its tuple notation (a [null, T] one needs none).
BINARY_WIRE = Wire(mode="python", native=_native, writer=_writer, tag=_tag, tag_nullable=False)


class _BinaryDecoder:
    """fastavro datum (read with ``return_named_type``) -> input for ``model_validate``."""

    def __init__(self, schema: AvroSchema, models: Models) -> None:
        self.models = models
        self.fastavro_names = schema.fastavro_names
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
        named = {
            self.fastavro_names.get(b.name, b.name): self.named(b)
            for b in node.branches
            if b.name is not None
        }
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
        wire, renames = BINARY_WIRE, schema.fastavro_names
        if renames:  # union branches in fastavro's notation name types as fastavro knows them
            wire = replace(wire, tag=lambda name, value: (renames.get(name, name), value))
        to_python = CompiledEncoder(schema, models, wire).serializer.to_python
        self._to_datum = partial(to_python, by_alias=True)
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
