"""Reading the Avro JSON encoding: every value is checked against the schema.

The result is input for ``model_validate``: records as dicts by wire name, logical types as
their Python values, and union branches that hold records or enums as their generated classes.
Pub/Sub's own parser is the reference: fields missing are an error, fields not in the schema are
ignored, an integral float is taken for an int, NaN and infinities are not JSON.
"""

from __future__ import annotations

import datetime as dt
from decimal import Context, Decimal
from typing import Any
from uuid import UUID

from pubsub_runtime._codecs.avro import (
    EPOCH,
    EPOCH_ORDINAL,
    INT_RANGE,
    LONG_RANGE,
    AvroType,
    Conv,
    Models,
    Trampoline,
    map_beside_record,
)
from pubsub_runtime._duration import Duration
from pubsub_runtime._errors import one_line

_EPOCH_NAIVE = dt.datetime(1970, 1, 1)
_DAY_MICROS = 86_400_000_000


class Invalid(Exception):
    """A JSON value that does not match the schema; ``path`` is filled in on the way out."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.path: list[str] = []

    def where(self) -> str:
        return "".join(reversed(self.path)).lstrip(".") or "message"


_JSON_NAMES = {str: "a string", int: "a number", float: "a number", bool: "a boolean"}
_JSON_NAMES |= {dict: "an object", list: "an array", type(None): "null"}


def _expect(what: str, value: Any) -> Invalid:
    return Invalid(f"expected {what}, got {_JSON_NAMES.get(type(value), type(value).__name__)}")


def _integer(kind: str) -> Conv:
    low, high = INT_RANGE if kind == "int" else LONG_RANGE

    def read(value: Any) -> Any:
        if type(value) is not int:  # Pub/Sub takes 3.0 for an int; so do we
            if type(value) is not float or not value.is_integer():
                raise _expect(kind, value)
            value = int(value)
        if not low <= value <= high:
            raise Invalid(f"{value} is out of the {kind} range")
        return value

    return read


def _floating(value: Any) -> float:
    if type(value) is float or type(value) is int:
        return float(value)
    raise _expect("a number", value)


def _string(value: Any) -> str:
    if type(value) is str:
        return value
    raise _expect("a string", value)


def _boolean(value: Any) -> bool:
    if type(value) is bool:
        return value
    raise _expect("a boolean", value)


def _null(value: Any) -> None:
    if value is not None:
        raise _expect("null", value)


def _bytes(value: Any) -> bytes:
    try:
        return _string(value).encode("latin-1")
    except UnicodeEncodeError as exc:
        raise Invalid("bytes are code points 0-255; this string has others") from exc


def _reader(convert: Conv, what: str) -> Conv:
    """A reader of a number or string that ``convert`` turns into a Python value."""

    def read(value: Any) -> Any:
        try:
            return convert(value)
        except Invalid:
            raise
        except (ArithmeticError, ValueError, TypeError) as exc:
            raise Invalid(f"not a valid {what}: {one_line(exc)}") from exc

    return read


def _time_of_day(unit: int) -> Conv:
    read_long = _integer("long")

    def read(value: Any) -> dt.time:
        micros = read_long(value) * unit
        if not 0 <= micros < _DAY_MICROS:
            raise Invalid(f"{value} is not a time of day")
        seconds, micro = divmod(micros, 1_000_000)
        minutes, second = divmod(seconds, 60)
        return dt.time(minutes // 60, minutes % 60, second, micro)

    return read


def _decimal(node: AvroType, raw: Conv) -> Conv:
    context, scale = Context(prec=node.precision), node.scale

    def read(value: Any) -> Decimal:
        unscaled = int.from_bytes(raw(value), "big", signed=True)
        return context.create_decimal(unscaled).scaleb(-scale, context)

    return read


_READ_INT, _READ_LONG = _integer("int"), _integer("long")
_LEAF_READERS: dict[str, Conv] = {
    "null": _null,
    "boolean": _boolean,
    "int": _READ_INT,
    "long": _READ_LONG,
    "float": _floating,
    "double": _floating,
    "string": _string,
    "bytes": _bytes,
    "uuid": _reader(lambda v: UUID(_string(v)), "uuid"),
    "date": _reader(lambda v: dt.date.fromordinal(_READ_INT(v) + EPOCH_ORDINAL), "date"),
    "time-millis": _time_of_day(1000),
    "time-micros": _time_of_day(1),
    "timestamp-millis": _reader(
        lambda v: EPOCH + dt.timedelta(milliseconds=_READ_LONG(v)), "timestamp"
    ),
    "timestamp-micros": _reader(
        lambda v: EPOCH + dt.timedelta(microseconds=_READ_LONG(v)), "timestamp"
    ),
    "local-timestamp-millis": _reader(
        lambda v: _EPOCH_NAIVE + dt.timedelta(milliseconds=_READ_LONG(v)), "timestamp"
    ),
    "local-timestamp-micros": _reader(
        lambda v: _EPOCH_NAIVE + dt.timedelta(microseconds=_READ_LONG(v)), "timestamp"
    ),
}


class JsonDecoder:
    """Avro JSON value -> input for ``model_validate``, checking it against the schema."""

    def __init__(self, models: Models) -> None:
        self.models = models
        self._records: dict[AvroType, Conv] = {}

    def conv(self, node: AvroType) -> Conv:
        kind = node.kind
        if kind in _LEAF_READERS:
            return _LEAF_READERS[kind]
        if kind == "record":
            return self._record(node)
        if kind in ("fixed", "duration") or (kind == "decimal" and node.base == "fixed"):
            raw = self._fixed(node)
            if kind == "fixed":
                return raw
            return _decimal(node, raw) if kind == "decimal" else _reader(raw_duration(raw), kind)
        if kind == "decimal":
            return _decimal(node, _bytes)
        if kind == "enum":
            symbols = frozenset(node.symbols)

            def enum(value: Any) -> str:
                symbol = _string(value)
                if symbol not in symbols:
                    raise Invalid(f"{symbol!r} is not a symbol of {node.name}")
                return symbol

            return enum
        if kind == "array":
            return self._array(self.conv(node.child))
        if kind == "map":
            return self._map(self.conv(node.child))
        if kind == "union":
            return self._union(node)
        raise ValueError(f"no Avro JSON reader for {kind!r}")

    @staticmethod
    def _fixed(node: AvroType) -> Conv:
        size = node.size

        def read(value: Any) -> bytes:
            data = _bytes(value)
            if len(data) != size:
                raise Invalid(f"fixed {node.name} holds {size} bytes, not {len(data)}")
            return data

        return read

    @staticmethod
    def _array(inner: Conv) -> Conv:
        def read(value: Any) -> list[Any]:
            if type(value) is not list:
                raise _expect("an array", value)
            out = []
            for index, item in enumerate(value):
                try:
                    out.append(inner(item))
                except Invalid as exc:
                    exc.path.append(f"[{index}]")
                    raise
            return out

        return read

    @staticmethod
    def _map(inner: Conv) -> Conv:
        def read(value: Any) -> dict[str, Any]:
            if type(value) is not dict:
                raise _expect("a map (JSON object)", value)
            out = {}
            for key, item in value.items():
                try:
                    out[key] = inner(item)
                except Invalid as exc:
                    exc.path.append(f"[{key!r}]")
                    raise
            return out

        return read

    def _record(self, node: AvroType) -> Conv:
        built = self._records.get(node)
        if built is not None:
            return built
        trampoline = self._records[node] = Trampoline()
        fields = [(f.name, self.conv(f.type)) for f in node.fields]

        def read(value: Any) -> dict[str, Any]:
            if type(value) is not dict:
                raise _expect(f"a {node.name} record (JSON object)", value)
            out = {}
            for wire, conv in fields:  # keys not in the schema are ignored, as Pub/Sub does
                try:
                    out[wire] = conv(value[wire])
                except KeyError:
                    if wire in value:
                        raise
                    raise Invalid(f"missing field {wire!r}") from None
                except Invalid as exc:
                    exc.path.append(f".{wire}")
                    raise
            return out

        trampoline.target = self._records[node] = read
        return read

    def _named(self, node: AvroType) -> Conv:
        inner = self.conv(node)
        cls = self.models.by_name.get(node.name or "")
        if cls is None or node.kind not in ("record", "enum"):
            return inner
        build = cls.model_validate if node.kind == "record" else cls
        return lambda v: build(inner(v))

    def _typed(self, node: AvroType) -> Conv:
        """Reader of a value of ``node`` into its final Python types (model and enum instances
        all the way down), for values pydantic must not re-guess."""
        kind = node.kind
        if kind in ("record", "enum"):
            return self._named(node)
        if kind == "array":
            return self._array(self._typed(node.child))
        if kind == "map":
            return self._map(self._typed(node.child))
        return self.conv(node)

    def _union(self, node: AvroType) -> Conv:
        nullable = any(b.kind == "null" for b in node.branches)
        typed_map = map_beside_record(node)
        readers = {
            b.branch_name: (
                self._named(b)
                if b.name
                else self._typed(b)
                if typed_map and b.kind == "map"
                else self.conv(b)
            )
            for b in node.branches
            if b.kind != "null"
        }
        names = ", ".join(b.branch_name for b in node.branches)

        def read(value: Any) -> Any:
            if value is None:
                if nullable:
                    return None
                raise Invalid(f"null is not a branch of union [{names}]")
            if type(value) is not dict or len(value) != 1:
                raise _expect(f'a union value wrapped as {{"<branch>": value}} of [{names}]', value)
            ((branch, inner),) = value.items()
            reader = readers.get(branch)
            if reader is None:
                raise Invalid(f"{branch!r} is not a branch of union [{names}]")
            try:
                return reader(inner)
            except Invalid as exc:
                exc.path.append(f"<{branch}>")
                raise

        return read


def raw_duration(raw: Conv) -> Conv:
    return lambda v: Duration.from_bytes(raw(v))
