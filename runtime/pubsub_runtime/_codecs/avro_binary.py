"""The Avro binary codec: exactly what ``fastavro.schemaless_writer`` writes, read back.

Encoding hands fastavro a datum built by a serializer compiled from the schema
(``avro_serializer``); union values go in fastavro's tuple notation ``(branch name, value)``
so that the branch is never guessed (two records of the same shape, an enum beside a string).
Decoding reads with ``return_named_type`` so that named union branches come tagged, turns those
into their generated classes, and validates the rest with ``model_validate`` (measured as fast
as building models without validation).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import timedelta
from functools import partial
from io import BytesIO
from typing import Any
from uuid import UUID

import fastavro
import fastavro._logical_readers
import fastavro.read
from pydantic import BaseModel
from pydantic_core import CoreSchema
from pydantic_core import core_schema as cs

from pubsub_runtime._codecs.avro import (
    PRIMITIVES,
    AvroSchema,
    AvroType,
    Conv,
    Models,
    PreparedReader,
    Trampoline,
    aware,
    identity,
    map_beside_record,
    needing,
    to_model,
)
from pubsub_runtime._codecs.avro_serializer import CompiledEncoder, Wire
from pubsub_runtime._duration import Duration
from pubsub_runtime._errors import DecodeError, EncodeError, one_line


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


class BinaryDecoder:
    """fastavro datum (read with ``return_named_type``) -> input for ``model_validate``.

    ``resolved``: the datum was read with a writer schema into this (reader) schema, so a
    bytes field may hold a reader's default as its JSON text. ``untag``: the writer has unions
    of named types; fastavro then tags a named value with its writer's name also where the
    reader has no union (a writer's union read into one of its branches), so named values are
    untagged wherever they stand.
    """

    def __init__(
        self, schema: AvroSchema, models: Models, *, resolved: bool = False, untag: bool = False
    ) -> None:
        self.models = models
        self.resolved = resolved
        self.untag = untag
        self.fastavro_names = schema.fastavro_names
        self.needs = needing(schema.records, self._needs)
        self._records: dict[AvroType, Conv] = {}

    def _needs(self, node: AvroType, state: dict[AvroType, bool]) -> bool:
        kind = node.kind
        if (self.untag and node.name is not None) or (self.resolved and kind == "bytes"):
            return True
        if kind == "record":
            return state[node]
        if kind in ("array", "map"):
            return self._needs(node.child, state)
        if kind == "union":  # fastavro tags named branches as (name, value)
            return any(b.name is not None or self._needs(b, state) for b in node.branches)
        return kind == "duration"

    def conv(self, node: AvroType) -> Conv | None:
        found = self._conv(node)
        if self.resolved and node.kind in ("bytes", "fixed"):
            return _default_bytes
        if self.untag and node.name is not None:
            return _untagged(found or identity)
        return found

    def _conv(self, node: AvroType) -> Conv | None:
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

        text_as_bytes = self.resolved and any(b.kind in ("bytes", "fixed") for b in node.branches)
        text_as_bytes = text_as_bytes and not any(b.kind == "string" for b in node.branches)

        def convert(value: Any) -> Any:
            if type(value) is tuple:
                return named[value[0]](value[1])
            if text_as_bytes and type(value) is str:
                return _default_bytes(value)
            if array is not None and type(value) is list:
                return array(value)
            if map_ is not None and type(value) is dict:
                return map_(value)
            return value

        return convert


def _default_bytes(value: Any) -> Any:
    """A reader's default for a bytes or fixed field arrives from fastavro as its JSON text;
    Avro reads that text's code points (0-255) as the bytes."""
    if type(value) is tuple:  # a writer's named fixed read into a plain reader position
        value = value[1]
    return value.encode("latin-1") if type(value) is str else value


def _untagged(inner: Conv) -> Conv:
    def convert(value: Any) -> Any:
        return inner(value[1] if type(value) is tuple else value)

    return convert


# fastavro's logical readers by "<underlying type>-<logicalType>" (its own dict, so a reader
# registered with fastavro counts). The plain reading leaves to _PlainDecoder those of them that
# load_schema models as logical nodes; any other stays in the schema for fastavro to convert.
_FASTAVRO_LOGICAL = fastavro.read.LOGICAL_READERS
_CONVERTED = frozenset(
    {
        "long-timestamp-millis",
        "long-timestamp-micros",
        "long-local-timestamp-millis",
        "long-local-timestamp-micros",
        "int-date",
        "int-time-millis",
        "long-time-micros",
        "bytes-decimal",
        "fixed-decimal",
        "string-uuid",
    }
)
# The Python type fastavro's plain reading gives each (untagged) union branch kind.
_PLAIN_TYPE: dict[str, type] = {
    "null": type(None),
    "boolean": bool,
    "int": int,
    "long": int,
    "float": float,
    "double": float,
    "bytes": bytes,
    "fixed": bytes,
    "string": str,
    "array": list,
    "map": dict,
}


_READERS: Any = fastavro._logical_readers
_EPOCH, _EPOCH_NAIVE = _READERS.epoch, _READERS.epoch_naive
_MS, _US = timedelta(milliseconds=1), timedelta(microseconds=1)
# fastavro's own timestamp readers, done as ``epoch + unit * value``: fastavro's
# ``epoch + timedelta(microseconds=...)`` is the same exact integer arithmetic on microseconds
# (the same value, or OverflowError), and a timedelta times an int costs a third of building
# one from an argument (the timestamp being the conversion a typical record needs).
_POSITIONAL = {
    "long-timestamp-millis": (
        _READERS.read_timestamp_millis,
        lambda v, epoch=_EPOCH, unit=_MS: epoch + unit * v,
    ),
    "long-timestamp-micros": (
        _READERS.read_timestamp_micros,
        lambda v, epoch=_EPOCH, unit=_US: epoch + unit * v,
    ),
    "long-local-timestamp-millis": (
        _READERS.read_local_timestamp_millis,
        lambda v, epoch=_EPOCH_NAIVE, unit=_MS: epoch + unit * v,
    ),
    "long-local-timestamp-micros": (
        _READERS.read_local_timestamp_micros,
        lambda v, epoch=_EPOCH_NAIVE, unit=_US: epoch + unit * v,
    ),
}


def _logical_key(node: AvroType) -> str | None:
    """fastavro's key of ``node``'s logical reader, when fastavro converts ``node``."""
    key = f"{node.base}-{node.kind}"
    return key if key in _CONVERTED and key in _FASTAVRO_LOGICAL else None


class _Ambiguous(ValueError):
    """A union whose branches the plain reading cannot tell apart (e.g. long and a timestamp)."""


class _PlainDecoder(BinaryDecoder):
    """The datum read with the logical types left out -> input for ``model_validate``.

    Reading a schema stripped of ``logicalType`` skips fastavro's lookup of a logical reader
    for every value (about 40% of its reading time on a record with a uuid and a timestamp);
    the converters here then call the same fastavro readers, so the values are the ones
    fastavro would have made. One exception: a ``uuid`` field that its model types as plain
    ``UUID`` keeps its string, which pydantic parses in Rust into the same ``UUID``. pydantic
    accepts a subset of the strings ``uuid.UUID()`` does (hyphens where RFC 4122 puts them);
    a string outside it fails validation, and the codec then decodes the message the exact
    way, so nothing is accepted or refused differently.
    """

    def __init__(self, schema: AvroSchema, models: Models, *, named_unions: bool) -> None:
        self.named_unions = named_unions  # union branches of named types come tagged
        super().__init__(schema, models)

    def _needs(self, node: AvroType, state: dict[AvroType, bool]) -> bool:
        return _logical_key(node) is not None or super()._needs(node, state)

    def conv(self, node: AvroType) -> Conv | None:
        if _logical_key(node) is not None:
            return self._logical(node)
        return super().conv(node)

    def named(self, node: AvroType) -> Conv:
        if _logical_key(node) is not None:  # a decimal on a named fixed
            return self._logical(node)
        return super().named(node)

    def _logical(self, node: AvroType) -> Conv:
        key = _logical_key(node)
        assert key is not None
        read: Any = _FASTAVRO_LOGICAL[key]
        own, positional = _POSITIONAL.get(key, (None, None))
        if read is own:  # not replaced by a reader registered with fastavro
            return positional  # type: ignore[return-value]
        if node.kind == "decimal":
            writer = {"precision": node.precision, "scale": node.scale}
            return lambda value: read(value, writer)
        return read  # type: ignore[no-any-return]

    def _record(self, node: AvroType) -> Conv:
        built = self._records.get(node)
        if built is not None:
            return built
        trampoline = self._records[node] = Trampoline()
        kept = self._uuid_strings(node)
        fields = [
            (f.name, c)
            for f in node.fields
            if f.name not in kept and (c := self.conv(f.type)) is not None
        ]
        if len(fields) == 1:  # common (a timestamp), and a loop costs more than the conversion
            ((wire, conv),) = fields

            def convert(datum: dict[str, Any]) -> dict[str, Any]:
                datum[wire] = conv(datum[wire])
                return datum

        else:

            def convert(datum: dict[str, Any]) -> dict[str, Any]:
                for wire, conv in fields:  # the datum is ours: update it in place
                    datum[wire] = conv(datum[wire])
                return datum

        trampoline.target = self._records[node] = convert
        return convert

    def _uuid_strings(self, node: AvroType) -> set[str]:
        """Wire names of the uuid fields of ``node`` whose model takes the string as it is."""
        cls = self.models.by_name.get(node.name or "")
        if cls is None or not issubclass(cls, BaseModel) or cls.model_config.get("strict"):
            return set()
        decorators = cls.__pydantic_decorators__
        if decorators.field_validators or decorators.model_validators or decorators.validators:
            return set()  # a validator of the user's might look at the value before pydantic
        kept = set()
        for attr, wire in self.models.attrs(cls, node):
            info = cls.model_fields[attr]
            field = next(f for f in node.fields if f.name == wire)
            if info.metadata or field.type.kind != "uuid":
                continue
            if info.annotation is UUID:
                kept.add(wire)
        return kept

    def _union(self, node: AvroType) -> Conv:
        logical = [b for b in node.branches if b.name is None and _logical_key(b) is not None]
        if not logical:
            return super()._union(node)
        untagged = [b for b in node.branches if not (self.named_unions and b.name is not None)]
        by_type: dict[type, Conv] = {}
        for branch in logical:
            plain = _PLAIN_TYPE[branch.base]
            if sum(_PLAIN_TYPE.get(b.base) is plain for b in untagged) > 1:
                raise _Ambiguous(f"union branches {[b.kind for b in node.branches]}")
            by_type[plain] = self._logical(branch)
        rest = super()._union(node)

        def convert(value: Any) -> Any:
            logical_read = by_type.get(type(value))
            return rest(value) if logical_read is None else logical_read(value)

        return convert


def _plain_schema(node: Any) -> Any:
    """A copy of a schema's JSON with the logical types fastavro converts left out."""
    if isinstance(node, list):
        return [_plain_schema(b) for b in node]
    if not isinstance(node, dict):
        return node
    plain = {k: _plain_schema(v) for k, v in node.items() if k != "fields"}
    if "fields" in node:
        plain["fields"] = [{**f, "type": _plain_schema(f["type"])} for f in node["fields"]]
    key = f"{node.get('type')}-{node.get('logicalType')}"
    if key in _CONVERTED and key in _FASTAVRO_LOGICAL:
        del plain["logicalType"]
        if plain.keys() == {"type"} and plain["type"] in PRIMITIVES:
            return plain["type"]  # the same type, which fastavro reads without a dict lookup
    return plain


def _has_named_branch(schema: AvroSchema) -> bool:
    seen: set[int] = set()

    def walk(node: AvroType) -> bool:
        if id(node) in seen:
            return False
        seen.add(id(node))
        if node.kind == "union":
            return any(b.name is not None or walk(b) for b in node.branches)
        if node.kind == "record":
            return any(walk(f.type) for f in node.fields)
        if node.kind in ("array", "map"):
            return walk(node.child)
        return False

    return walk(schema.root)


def _plain_decoders(
    schema: AvroSchema, models: Models, validate: Conv, exact: Callable[[bytes], Any]
) -> tuple[Callable[[bytes], Any], Callable[[bytes], Any]]:
    """The fast way to decode: read without logical types, convert, validate.

    Returns that way alone (it raises on anything wrong, with no reason worth giving), and the
    codec's ``decode``: the same steps, with a message they refuse decoded again by ``exact``,
    for its verdict and reason. ``return_named_type`` costs fastavro time on every record, so
    it is asked for only when some union has a named branch to tag. Raises ``_Ambiguous`` for
    a schema the plain reading cannot serve.
    """
    named_unions = _has_named_branch(schema)
    decoder = _PlainDecoder(schema, models, named_unions=named_unions)
    from_datum = decoder.conv(schema.root) or identity
    prepared = PreparedReader.of(
        fastavro.parse_schema(_plain_schema(schema.document)), return_named_type=named_unions
    )
    read, writer, named, reader, options = prepared.fields()
    new_buffer = BytesIO

    def plain(data: bytes) -> Any:
        buffer = new_buffer(data)
        datum = read(buffer, writer, named, reader, options)
        if buffer.tell() != len(data):
            raise ValueError("bytes left after the message")
        return validate(from_datum(datum))

    def decode(data: bytes) -> Any:  # plain's steps inline: once per message, a call less
        try:
            buffer = new_buffer(data)
            datum = read(buffer, writer, named, reader, options)
            if buffer.tell() == len(data):
                return validate(from_datum(datum))
        except Exception:
            pass
        return exact(data)

    return plain, decode


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
        self._from_datum = BinaryDecoder(schema, models).conv(schema.root) or identity
        self._read = PreparedReader.of(self._parsed, return_named_type=True)
        # ``decode`` is a function bound here: the fast way (or the exact way alone)
        self.decode: Callable[[bytes], Any] = self._decode_exact
        self._plain: Callable[[bytes], Any] | None = None
        try:
            # what model_validate calls, without its wrapper (it is given no options)
            validate = model.__pydantic_validator__.validate_python
            self._plain, self.decode = _plain_decoders(schema, models, validate, self._decode_exact)
        except Exception:  # an ambiguous union (or a surprise): the exact way does it all
            pass

    def encode(self, value: Any) -> bytes:
        try:
            instance = to_model(self.model, value)
            datum = self._to_datum(instance.root if self._is_root else instance)  # type: ignore[attr-defined]
            buffer = BytesIO()
            fastavro.schemaless_writer(buffer, self._parsed, datum)
        except Exception as exc:
            raise EncodeError(self.topic, one_line(exc)) from exc
        return buffer.getvalue()

    def _decode_exact(self, data: bytes) -> Any:
        """fastavro reads with the logical types and named types tagged, then model_validate:
        every message of a schema the plain way cannot read, and the verdict on a bad one."""
        try:
            buffer = BytesIO(data)
            datum = self._read(buffer)
            if buffer.tell() != len(data):
                raise ValueError(f"{len(data) - buffer.tell()} bytes left after the message")
        except Exception as exc:
            reason = f"not Avro binary of this schema: {one_line(exc)}"
            raise DecodeError(self.topic, reason) from exc
        try:
            return self.model.model_validate(self._from_datum(datum))
        except Exception as exc:
            raise DecodeError(self.topic, one_line(exc)) from exc
