"""The Avro JSON encoding, which Pub/Sub validates for a JSON-encoded Avro topic.

Union values are wrapped as ``{"<branch name>": value}`` (``null`` stays ``null``), bytes and
fixed are strings of code points 0-255, logical types are their underlying numbers, strings or
bytes. Written here rather than with fastavro's JSON reader and writer, which recurse forever on
recursive schemas. This module encodes; ``avro_json_decode`` reads and checks.

The encoder is a pydantic-core serializer compiled from the schema (``avro_serializer``), so
the walk over the model and the JSON writing happen in Rust: encoding an ``OrderPlaced`` went
from 18.5 to 9.4 us.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from decimal import MAX_PREC, Context, Decimal
from typing import Any

from pydantic import BaseModel
from pydantic_core import CoreSchema
from pydantic_core import core_schema as cs

from pubsub_runtime._codecs.avro import (
    EPOCH,
    EPOCH_ORDINAL,
    UTC,
    AvroSchema,
    AvroType,
    Conv,
    Models,
    aware,
    identity,
    to_model,
)
from pubsub_runtime._codecs.avro_json_decode import Invalid, JsonDecoder
from pubsub_runtime._codecs.avro_serializer import CompiledEncoder, Wire, python
from pubsub_runtime._errors import DecodeError, EncodeError, one_line

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
    delta = aware(value) - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def _micros(value: dt.datetime) -> int:
    delta = aware(value) - EPOCH
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
    "date": lambda v: v.toordinal() - EPOCH_ORDINAL,
    "time-millis": lambda v: _time_micros(v) // 1000,
    "time-micros": _time_micros,
    "timestamp-millis": _millis,
    "timestamp-micros": _micros,
    "local-timestamp-millis": _local_millis,
    "local-timestamp-micros": _local_micros,
    "duration": lambda v: v.to_bytes().decode("latin-1"),
}


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
    "float": lambda: python(_finite),
    "double": lambda: python(_finite),
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


def _native(node: AvroType) -> CoreSchema | None:
    make = _CORE_LEAVES.get(node.kind)
    return make() if make is not None else None


def _tag(name: str, value: Any) -> Any:
    return None if name == "null" else {name: value}


# Union values are {"<branch>": value}, [null, T] ones included; null stays null.
JSON_WIRE = Wire(mode="json", native=_native, writer=_leaf_writer, tag=_tag, tag_nullable=True)


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
        self._to_json = CompiledEncoder(schema, models, JSON_WIRE).serializer.to_json
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
