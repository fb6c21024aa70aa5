"""Random Avro data for tests: values fastavro's ``schemaless_writer`` accepts for a schema.

``fastavro.utils.generate_many`` recurses forever on recursive schemas; this generator bounds
the depth: past ``max_depth`` it picks union branches and sizes that end the recursion
(null branches, empty arrays and maps). Union values are tagged ``(branch name, value)`` so the
branch fastavro writes is the one chosen here. Logical values are the Python types fastavro
converts (Decimal, UUID, date, time, datetime); durations are raw 12-byte fixed values.
"""

from __future__ import annotations

import datetime as dt
import decimal
import random
import string
import struct
import uuid
from collections.abc import Iterator, Mapping
from typing import Any

import fastavro

_PRIMITIVES = {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}
_TEXT = string.ascii_letters + string.digits + " _-\"'\\/\n\té€😀"
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class AvroRandom:
    """Random data for one parsed schema (``fastavro.parse_schema`` output)."""

    def __init__(self, schema: Any, seed: int = 0, max_depth: int = 3) -> None:
        self.schema = fastavro.parse_schema(schema)
        self.named: Mapping[str, Any] = (
            self.schema.get("__named_schemas", {}) if isinstance(self.schema, dict) else {}
        )
        self.rng = random.Random(seed)
        self.max_depth = max_depth

    def many(self, count: int) -> Iterator[Any]:
        for _ in range(count):
            yield self.datum(self.schema, 0)

    def datum(self, schema: Any, depth: int) -> Any:
        rng = self.rng
        if isinstance(schema, str):
            if schema in _PRIMITIVES:
                return self._primitive(schema)
            return self.datum(self.named[schema], depth)
        if isinstance(schema, list):
            return self._union(schema, depth)
        kind = schema["type"]
        logical = schema.get("logicalType")
        if logical is not None:
            value = self._logical(schema, logical)
            if value is not None:
                return value
        if kind in _PRIMITIVES:
            return self._primitive(kind)
        if kind == "record" or kind == "error":
            return {f["name"]: self.datum(f["type"], depth + 1) for f in schema["fields"]}
        if kind == "enum":
            return rng.choice(schema["symbols"])
        if kind == "fixed":
            return rng.randbytes(schema["size"])
        if kind == "array":
            size = 0 if depth >= self.max_depth else rng.randint(0, 3)
            return [self.datum(schema["items"], depth + 1) for _ in range(size)]
        if kind == "map":
            size = 0 if depth >= self.max_depth else rng.randint(0, 3)
            # Keys are never empty: fastavro's JSON writer fails on an empty key.
            keys = (self._text() or "k" for _ in range(size))
            return {key: self.datum(schema["values"], depth + 1) for key in keys}
        return self.datum(self.named[kind], depth)

    def _union(self, branches: list[Any], depth: int) -> Any:
        candidates = branches
        if depth >= self.max_depth:
            simple = [b for b in branches if self._ends(b)]
            candidates = simple or branches
        branch = self.rng.choice(candidates)
        value = self.datum(branch, depth + 1)
        name = _branch_name(branch)
        # Records are tagged (name, value) so fastavro writes the branch chosen here; other
        # values are matched by fastavro to the first branch that accepts them.
        is_record = name in self.named and self.named[name]["type"] in ("record", "error")
        return (name, value) if is_record else value

    def _ends(self, schema: Any) -> bool:
        """Whether a value of ``schema`` can be made without going deeper into records."""
        if isinstance(schema, str):
            return schema in _PRIMITIVES or self.named[schema]["type"] in ("enum", "fixed")
        if isinstance(schema, list):
            return any(self._ends(b) for b in schema)
        return schema["type"] in _PRIMITIVES | {"enum", "fixed", "array", "map"}

    def _primitive(self, kind: str) -> Any:
        rng = self.rng
        if kind == "null":
            return None
        if kind == "boolean":
            return rng.random() < 0.5
        if kind == "int":
            return rng.choice([0, -1, 1, 2**31 - 1, -(2**31), rng.randint(-(2**31), 2**31 - 1)])
        if kind == "long":
            return rng.choice([0, 2**63 - 1, -(2**63), rng.randint(-(2**63), 2**63 - 1)])
        if kind == "float":
            # A value float32 holds exactly, so decoding and re-encoding keeps the bytes.
            packed = struct.pack("<f", rng.uniform(-1e6, 1e6))
            return float(struct.unpack("<f", packed)[0])
        if kind == "double":
            return rng.choice([0.0, -1.5, rng.uniform(-1e12, 1e12)])
        if kind == "bytes":
            return rng.randbytes(rng.randint(0, 8))
        return self._text()

    def _text(self) -> str:
        return "".join(self.rng.choice(_TEXT) for _ in range(self.rng.randint(0, 8)))

    def _logical(self, schema: Mapping[str, Any], logical: str) -> Any:
        rng = self.rng
        kind = schema["type"]
        if logical == "decimal" and kind in ("bytes", "fixed"):
            precision, scale = schema["precision"], schema.get("scale", 0)
            unscaled = rng.randint(-(10**precision) + 1, 10**precision - 1)
            return decimal.Decimal(unscaled).scaleb(-scale)
        if logical == "uuid" and kind == "string":
            return uuid.UUID(int=rng.getrandbits(128))
        if logical == "date" and kind == "int":
            return dt.date(1970, 1, 1) + dt.timedelta(days=rng.randint(-719162, 2932896))
        if (logical, kind) in (("time-millis", "int"), ("time-micros", "long")):
            micros = rng.randint(0, 86_400_000_000 - 1)
            if logical == "time-millis":
                micros -= micros % 1000
            return (dt.datetime(1970, 1, 1) + dt.timedelta(microseconds=micros)).time()
        if logical.endswith(("timestamp-millis", "timestamp-micros")) and kind == "long":
            micros = rng.randint(-62135596800 * 10**6 + 86_400 * 10**6, 253402300799 * 10**6)
            if logical.endswith("millis"):
                micros -= micros % 1000
            moment = _EPOCH + dt.timedelta(microseconds=micros)
            return moment.replace(tzinfo=None) if logical.startswith("local-") else moment
        return None  # duration and unknown logical types: the underlying type's value


def _branch_name(branch: Any) -> str:
    if isinstance(branch, str):
        return branch
    if isinstance(branch, dict):
        return str(branch.get("name", branch["type"]))
    return "union"
