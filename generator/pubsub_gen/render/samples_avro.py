"""A sample message per Avro topic, as an expression tree building the generated models.

The sample is valid by construction: every field is set (optional ones too), a union takes
its first non-null branch that can be built, arrays and maps hold one item, an enum its first
symbol, logical types fixed values. Recursive records are entered at most ``_MAX_NESTING``
times on one path; below that, a union takes its null branch and an array or map stays empty.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from pubsub_gen import ir
from pubsub_gen.render.flat import Expr, Nested, call
from pubsub_gen.render.imports import Import
from pubsub_gen.render.literals import py_str

_MAX_NESTING = 2  # a recursive record appears this many times on one path (shows the nesting)


class _CannotBuild(Exception):
    """No finite value of this type fits under the recursion bound."""


@dataclass
class _Builder:
    payload: ir.AvroPayload
    module: str  # the topic's module: the generated classes are referred to through it
    imports: set[Import] = field(default_factory=set)
    _stack: Counter[str] = field(default_factory=Counter)

    def build(self, t: ir.TypeRef, hint: str) -> Expr:
        if isinstance(t, ir.Primitive):
            return _primitive(t.name, hint)
        if isinstance(t, ir.Logical):
            return self._logical(t)
        if isinstance(t, ir.Array):
            item = self._optional(t.items, hint)
            return "[]" if item is None else Nested("[", [("", item)], "]", movable=False)
        if isinstance(t, ir.Map):
            value = self._optional(t.values, hint)
            return "{}" if value is None else Nested("{", [('"key": ', value)], "}", movable=False)
        if isinstance(t, ir.Union):
            return self._union(t, hint)
        return self._named(t.full_name, hint)

    def _optional(self, t: ir.TypeRef, hint: str) -> Expr | None:
        """The item of an array or map, or None when recursion leaves it empty."""
        try:
            return self.build(t, hint)
        except _CannotBuild:
            return None

    def _union(self, t: ir.Union, hint: str) -> Expr:
        branches = [b for b in t.branches if b != ir.Primitive("null")]
        for branch in branches:
            try:
                return self.build(branch, hint)
            except _CannotBuild:
                continue
        if len(branches) < len(t.branches):
            return "None"
        raise _CannotBuild

    def _named(self, full_name: str, hint: str) -> Expr:
        named = self.payload.lookup(full_name)
        if isinstance(named, ir.FixedType):
            return f"bytes(range({named.size}))" if named.size <= 256 else f"bytes({named.size})"
        if isinstance(named, ir.EnumType):
            return f"{self.module}.{named.python_name}.{named.symbols[0].python_name}"
        if self._stack[full_name] >= _MAX_NESTING:
            raise _CannotBuild
        self._stack[full_name] += 1
        try:
            arguments = [
                (f"{f.python_name}=", self.build(f.type, f.wire_name)) for f in named.fields
            ]
        finally:
            self._stack[full_name] -= 1
        return Nested(f"{self.module}.{named.python_name}(", arguments, ")")

    def _logical(self, t: ir.Logical) -> str:
        if t.name == "decimal":
            self.imports.add(("decimal", "Decimal"))
            return f"Decimal({_decimal_text(t.precision or 1, t.scale or 0)!r})"
        if t.name == "uuid":
            self.imports.add(("uuid", "UUID"))
            return 'UUID("12345678-1234-5678-1234-567812345678")'
        if t.name == "duration":
            self.imports.add(("pubsub_runtime", "Duration"))
            return "Duration(months=1, days=2, milliseconds=3000)"
        self.imports.add(("datetime as _dt", None))
        micros = 123000 if t.name.endswith("-millis") else 123456
        if t.name == "date":
            return "_dt.date(2024, 1, 15)"
        if t.name.startswith("time-"):
            return f"_dt.time(12, 30, 45, {micros})"
        zone = ", tzinfo=_dt.UTC" if t.name.startswith("timestamp-") else ""
        return f"_dt.datetime(2024, 1, 15, 12, 30, 45, {micros}{zone})"


def _primitive(name: str, hint: str) -> str:
    if name == "string":
        return py_str(hint or "text")
    if name == "bytes":  # hints are Avro names or topic names: ASCII
        return repr((hint or "bytes").encode("ascii", "replace"))
    return {
        "null": "None",
        "boolean": "True",
        "int": "1",
        "long": "1",
        "float": "1.5",
        "double": "1.5",
    }[name]


def _decimal_text(precision: int, scale: int) -> str:
    """A small decimal with exactly ``scale`` fraction digits and at most ``precision`` digits."""
    if scale == 0:
        return "1"
    if precision > scale:
        return "1." + "5".ljust(scale, "0")
    return "0." + "5".rjust(scale, "0")


@dataclass(frozen=True)
class AvroSample:
    expression: Expr  # builds the payload model; refers to classes as ``<module>.<Class>``
    imports: frozenset[Import]


def avro_sample(topic: ir.Topic) -> AvroSample:
    """The expression of ``topic``'s sample payload (``RootModel`` payloads wrap the value)."""
    payload = topic.payload
    assert isinstance(payload, ir.AvroPayload)
    builder = _Builder(payload, topic.module)
    root = payload.root
    try:
        value = builder.build(root, topic.name)
    except _CannotBuild as exc:  # only a record that always contains itself gets here
        raise ValueError(f"{topic.display_path}: no finite message fits this schema") from exc
    is_record = isinstance(root, ir.NamedRef) and isinstance(
        payload.lookup(root.full_name), ir.RecordType
    )
    if not is_record:
        value = call(f"{topic.module}.{topic.payload_class}", value)
    return AvroSample(value, frozenset(builder.imports))
