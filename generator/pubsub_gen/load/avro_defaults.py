"""Checking Avro field defaults against their types (Avro 1.11 rules, Python's value ranges)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from pubsub_gen import ir

_INT_RANGE = (-(2**31), 2**31 - 1)
_LONG_RANGE = (-(2**63), 2**63 - 1)
# Bounds of logical values that Python's date/time types can hold.
_DAYS = (-719162, 2932896)  # date.min .. date.max in days since the epoch
_DAY_MILLIS, _DAY_MICROS = 86_400_000, 86_400_000_000
_TIMESTAMP_SECONDS = (-62135596800, 253402300799)


def default_problem(
    t: ir.TypeRef, value: Any, named_types: Mapping[str, ir.NamedType | None]
) -> str | None:
    """Why ``value`` is not a valid Avro JSON default of type ``t`` (None when it is)."""
    if isinstance(t, ir.Union):
        # Avro 1.11: a union's default is a value of its first branch.
        reason = default_problem(t.branches[0], value, named_types)
        return None if reason is None else f"{reason} (a union's default is of its first type)"
    if isinstance(t, ir.Logical):
        return default_problem(t.base, value, named_types) or _logical_default_problem(t, value)
    if isinstance(t, ir.Array):
        if not isinstance(value, list):
            return "expected an array"
        return _first(default_problem(t.items, item, named_types) for item in value)
    if isinstance(t, ir.Map):
        if not isinstance(value, dict):
            return "expected an object"
        return _first(default_problem(t.values, item, named_types) for item in value.values())
    if isinstance(t, ir.Primitive):
        return _primitive_default_problem(t.name, value)
    named = named_types.get(t.full_name)
    if isinstance(named, ir.EnumType):
        symbols = [s.wire_name for s in named.symbols]
        return None if value in symbols else f"expected one of the symbols {symbols}"
    if isinstance(named, ir.FixedType):
        reason = _primitive_default_problem("bytes", value)
        if reason is None and len(value) != named.size:
            reason = f"expected {named.size} bytes"
        return reason
    if isinstance(named, ir.RecordType):
        if not isinstance(value, dict):
            return "expected an object"
        for field in named.fields:
            if field.wire_name in value:
                reason = default_problem(field.type, value[field.wire_name], named_types)
                if reason is not None:
                    return f"{field.wire_name}: {reason}"
            elif not field.has_default:
                return f"the field {field.wire_name!r} is missing"
        return None
    return None  # a record still being read (recursive default): checked by fastavro


def _first(reasons: Any) -> str | None:
    return next((r for r in reasons if r is not None), None)


def _primitive_default_problem(name: str, value: Any) -> str | None:
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    if name == "null":
        return None if value is None else "expected null"
    if name == "boolean":
        return None if isinstance(value, bool) else "expected true or false"
    if name in ("int", "long"):
        low, high = _INT_RANGE if name == "int" else _LONG_RANGE
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            return f"expected an integer from {low} to {high}"
        return None
    if name in ("float", "double"):
        return None if is_number else "expected a number"
    if name == "string":
        return None if isinstance(value, str) else "expected a string"
    if not isinstance(value, str) or any(ord(c) > 255 for c in value):
        return "expected a string of code points 0-255 (Avro's JSON form of bytes)"
    return None


def _logical_default_problem(t: ir.Logical, value: Any) -> str | None:
    if t.name == "uuid":
        try:
            uuid.UUID(value)
        except ValueError:
            return "expected a UUID"
        return None
    bounds: dict[str, tuple[int, int]] = {
        "date": _DAYS,
        "time-millis": (0, _DAY_MILLIS - 1),
        "time-micros": (0, _DAY_MICROS - 1),
    }
    for unit, scale in (("millis", 1000), ("micros", 1_000_000)):
        low, high = _TIMESTAMP_SECONDS
        bounds[f"timestamp-{unit}"] = bounds[f"local-timestamp-{unit}"] = (
            low * scale,
            (high + 1) * scale - 1,
        )
    if t.name in bounds:
        low, high = bounds[t.name]
        return None if low <= value <= high else f"a {t.name} must be from {low} to {high}"
    if t.name == "decimal":
        assert t.precision is not None
        unscaled = int.from_bytes(value.encode("latin-1"), "big", signed=True)
        if len(str(abs(unscaled))) > t.precision:
            return f"more than {t.precision} digits"
    return None
