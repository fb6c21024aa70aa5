"""Python type annotations, imports and default values for Avro types of the intermediate model."""

from __future__ import annotations

import datetime as dt
import decimal
import math
import uuid
from collections.abc import Mapping
from typing import Any

from pubsub_gen import ir
from pubsub_gen.render.imports import Import
from pubsub_gen.render.literals import py_str

_PRIMITIVES: Mapping[str, str] = {
    "null": "None",
    "boolean": "bool",
    "int": "int",
    "long": "int",
    "float": "float",
    "double": "float",
    "bytes": "bytes",
    "string": "str",
}
# The datetime module is imported as ``_dt``: an attribute named ``date`` or ``time`` must not
# shadow the type in a class body (attribute names never start with an underscore).
_LOGICAL: Mapping[str, tuple[str, tuple[str, str | None]]] = {
    "uuid": ("UUID", ("uuid", "UUID")),
    "date": ("_dt.date", ("datetime as _dt", None)),
    "time-millis": ("_dt.time", ("datetime as _dt", None)),
    "time-micros": ("_dt.time", ("datetime as _dt", None)),
    "timestamp-millis": ("AwareDatetime", ("pydantic", "AwareDatetime")),
    "timestamp-micros": ("AwareDatetime", ("pydantic", "AwareDatetime")),
    "local-timestamp-millis": ("NaiveDatetime", ("pydantic", "NaiveDatetime")),
    "local-timestamp-micros": ("NaiveDatetime", ("pydantic", "NaiveDatetime")),
    "duration": ("Duration", ("pubsub_runtime", "Duration")),
}
_EPOCH = dt.datetime(1970, 1, 1)


class AvroTypes:
    """Renders the types of one Avro topic; ``imports`` collects what the output needs."""

    def __init__(self, payload: ir.AvroPayload, *, plain: bool = False) -> None:
        """``plain``: annotations as a reader says them (``Decimal``, ``bytes``, ``date``),
        without the ``Annotated`` metadata and the ``_dt`` prefix the models need."""
        self._plain = plain
        self._named = {t.full_name: t for t in payload.named_types}
        self.imports: set[Import] = set()
        self.builds_models = False  # whether the last ``default()`` constructs a model

    def default_value(self, t: ir.TypeRef, value: Any) -> tuple[str, bool]:
        """(expression of the default, whether it builds model instances: needs a factory)."""
        self.builds_models = False
        expression = self.default(t, value)
        return expression, self.builds_models

    def annotation(self, t: ir.TypeRef) -> str:
        if isinstance(t, ir.Primitive):
            return _PRIMITIVES[t.name]
        if isinstance(t, ir.Array):
            return f"list[{self.annotation(t.items)}]"
        if isinstance(t, ir.Map):
            return f"dict[str, {self.annotation(t.values)}]"
        if isinstance(t, ir.Union):
            # ``None`` last, as Python spells optional values; repeated Python types once.
            branches = [self.annotation(b) for b in t.branches]
            ordered = [b for b in branches if b != "None"] + ["None"] * ("None" in branches)
            return " | ".join(dict.fromkeys(ordered))
        if isinstance(t, ir.Logical):
            if t.name == "decimal" and self._plain:
                return "Decimal"
            if t.name == "decimal":
                self.imports |= {("typing", "Annotated"), ("decimal", "Decimal")}
                self.imports.add(("pydantic", "Field"))
                return (
                    f"Annotated[Decimal, Field(max_digits={t.precision}, decimal_places={t.scale})]"
                )
            annotation, needed = _LOGICAL[t.name]
            self.imports.add(needed)
            return annotation.removeprefix("_dt.") if self._plain else annotation
        named = self._named[t.full_name]
        if isinstance(named, ir.FixedType) and self._plain:
            return "bytes"
        if isinstance(named, ir.FixedType):
            self.imports |= {("typing", "Annotated"), ("pydantic", "Field")}
            return f"Annotated[bytes, Field(min_length={named.size}, max_length={named.size})]"
        return named.python_name

    def references(self, t: ir.TypeRef) -> set[str]:
        """Full names of the records and enums that type ``t`` refers to."""
        if isinstance(t, ir.Array):
            return self.references(t.items)
        if isinstance(t, ir.Map):
            return self.references(t.values)
        if isinstance(t, ir.Union):
            return set().union(*(self.references(b) for b in t.branches))
        if isinstance(t, ir.NamedRef) and not isinstance(self._named[t.full_name], ir.FixedType):
            return {t.full_name}
        return set()

    def default(self, t: ir.TypeRef, value: Any) -> str:
        """A Python expression of the (already validated) Avro JSON default ``value``."""
        if isinstance(t, ir.Union):
            return self.default(t.branches[0], value)
        if isinstance(t, ir.Array):
            return "[" + ", ".join(self.default(t.items, v) for v in value) + "]"
        if isinstance(t, ir.Map):
            items = (f"{py_str(k)}: {self.default(t.values, v)}" for k, v in value.items())
            return "{" + ", ".join(items) + "}"
        if isinstance(t, ir.Logical):
            return self._logical_default(t, value)
        if isinstance(t, ir.Primitive):
            return _primitive_default(t.name, value)
        named = self._named[t.full_name]
        if isinstance(named, ir.FixedType):
            return repr(value.encode("latin-1"))
        if isinstance(named, ir.EnumType):
            member = next(s for s in named.symbols if s.wire_name == value)
            return f"{named.python_name}.{member.python_name}"
        items = (
            f"{py_str(f.wire_name)}: {self.default(f.type, value[f.wire_name])}"
            for f in named.fields
            if f.wire_name in value
        )
        self.builds_models = True
        return f"{named.python_name}.model_validate({{{', '.join(items)}}})"

    def _logical_default(self, t: ir.Logical, value: Any) -> str:
        self.annotation(t)  # the default's type is imported with the annotation
        if t.name == "decimal":
            unscaled = int.from_bytes(value.encode("latin-1"), "big", signed=True)
            number = decimal.Decimal(unscaled).scaleb(-(t.scale or 0))
            return f"Decimal({str(number)!r})"
        if t.name == "uuid":
            return f"UUID({str(uuid.UUID(value))!r})"
        if t.name == "date":
            day = dt.date(1970, 1, 1) + dt.timedelta(days=value)
            return f"_dt.date({day.year}, {day.month}, {day.day})"
        if t.name.startswith("time-"):
            unit = 1000 if t.name == "time-millis" else 1
            clock = (_EPOCH + dt.timedelta(microseconds=value * unit)).time()
            return f"_dt.time({clock.hour}, {clock.minute}, {clock.second}, {clock.microsecond})"
        if t.name == "duration":
            raw = value.encode("latin-1")
            months, days, millis = (int.from_bytes(raw[i : i + 4], "little") for i in (0, 4, 8))
            self.builds_models = True
            return f"Duration(months={months}, days={days}, milliseconds={millis})"
        unit = 1000 if t.name.endswith("-millis") else 1
        moment = _EPOCH + dt.timedelta(microseconds=value * unit)
        self.imports.add(("datetime as _dt", None))
        zone = ", tzinfo=_dt.UTC" if t.name.startswith("timestamp-") else ""
        return (
            f"_dt.datetime({moment.year}, {moment.month}, {moment.day}, {moment.hour}, "
            f"{moment.minute}, {moment.second}, {moment.microsecond}{zone})"
        )


def _primitive_default(name: str, value: Any) -> str:
    if name in ("null", "boolean", "int", "long"):
        return repr(value)
    if name in ("float", "double"):
        number = float(value)
        return repr(number) if math.isfinite(number) else f"float({str(number)!r})"
    if name == "bytes":
        return repr(value.encode("latin-1"))
    return py_str(value)
