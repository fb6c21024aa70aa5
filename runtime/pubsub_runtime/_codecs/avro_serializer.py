"""Avro encoders compiled into pydantic-core serializers, shared by the binary and JSON codecs.

A schema compiles once per topic into one ``SchemaSerializer``: Rust walks the models (records
by their wire names) and, for Avro JSON, writes the text. Python runs only where a ``Wire``
says so: for the leaves the encoding has its own form for (decimals, bytes, timestamps...) and
to tag a union's value with its branch, which both encodings need so that no branch is guessed.
Each record is a model schema bound to its generated class; a record of another class (a value
built loosely, or a class ``named_types`` leaves out) gets a serializer of its own, compiled on
first sight of that class.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal

from pydantic_core import CoreSchema, SchemaSerializer
from pydantic_core import core_schema as cs

from pubsub_runtime._codecs.avro import (
    AvroSchema,
    AvroType,
    Conv,
    Models,
    UnionPicker,
    simple_nullable,
)


@dataclass(frozen=True, slots=True)
class Wire:
    """What an encoding needs of the compiled serializer.

    ``mode``: pydantic-core's output, "python" (a datum for fastavro) or "json". ``native``:
    the core schema of a leaf the mode writes as the encoding wants, else None. ``writer``:
    the Python converter of any other leaf. ``tag``: a union value in its branch's notation;
    ``tag_nullable``: whether ``[null, T]`` unions of a plain ``T`` are tagged too.
    """

    mode: Literal["python", "json"]
    native: Callable[[AvroType], CoreSchema | None]
    writer: Callable[[AvroType], Conv]
    tag: Callable[[str, Any], Any]
    tag_nullable: bool


class CompiledEncoder:
    """A schema compiled for one wire: ``serializer`` turns a value of the root type into the
    wire's form (``to_python`` for a datum, ``to_json`` for text)."""

    def __init__(self, schema: AvroSchema, models: Models, wire: Wire) -> None:
        self.models = models
        self.wire = wire
        self._refs: dict[tuple[AvroType, type[Any]], int] = {}
        self._built: dict[tuple[AvroType, type[Any]], CoreSchema] = {}
        self._building: set[tuple[AvroType, type[Any]]] = set()
        self._recursive: set[tuple[AvroType, type[Any]]] = set()
        self._definitions: list[CoreSchema] = []
        self._lazy: dict[tuple[AvroType, type[Any] | None], Conv] = {}
        self._lock = threading.Lock()
        self.serializer = self._serializer(self._core(schema.root))

    def _serializer(self, core: CoreSchema) -> SchemaSerializer:
        return SchemaSerializer(cs.definitions_schema(core, list(self._definitions)))

    def _core(self, node: AvroType) -> CoreSchema:
        kind = node.kind
        if kind == "record":
            cls = self.models.by_name.get(node.name or "")
            if cls is not None:
                return self._record(node, cls)
            return python(self._any_class(node))
        if kind == "array":
            return cs.list_schema(self._core(node.child))
        if kind == "map":
            return cs.dict_schema(cs.str_schema(), self._core(node.child))
        if kind == "union":
            other = simple_nullable(node)
            if other is not None and not self.wire.tag_nullable:
                native = self.wire.native(other)
                if native is not None:
                    return cs.nullable_schema(native)
            record = self._nullable_record(node)
            if record is not None:  # [null, a record]: no branch to pick, Rust does the rest
                name, tag = record.branch_name, self.wire.tag
                tagged = cs.wrap_serializer_function_ser_schema(
                    lambda value, inner: tag(name, inner(value)),
                    schema=self._core(record),
                    info_arg=False,
                )
                return cs.nullable_schema(cs.any_schema(serialization=tagged))
            return python(self._union(node))
        native = self.wire.native(node)
        return native if native is not None else python(self.wire.writer(node))

    def _record(self, node: AvroType, cls: type[Any]) -> CoreSchema:
        """A record's schema: inline, or by reference for a record that contains itself (a
        reference costs pydantic-core a recursion check on every value)."""
        key = (node, cls)
        built = self._built.get(key)
        if built is not None:
            return built
        ref = f"avro-record-{self._refs.setdefault(key, len(self._refs))}"
        if key in self._building:
            self._recursive.add(key)
            return cs.definition_reference_schema(ref)
        self._building.add(key)
        fields = {
            attr: cs.model_field(self._core(f.type), serialization_alias=wire)
            for (attr, wire), f in zip(self.models.attrs(cls, node), node.fields, strict=True)
        }
        self._building.discard(key)
        # pydantic-core hands an instance of a pydantic class to that class's own serializer;
        # a stand-in class keeps ours (outside unions, any object with a __dict__ passes)
        stand_in = type(cls.__name__, (), {"__module__": __name__})
        recursive = key in self._recursive
        model = cs.model_schema(
            stand_in, cs.model_fields_schema(fields), ref=ref if recursive else None
        )
        schema: CoreSchema = model
        if recursive:
            self._definitions.append(model)
            schema = cs.definition_reference_schema(ref)
        self._built[key] = schema
        return schema

    def _nullable_record(self, node: AvroType) -> AvroType | None:
        """The record of a ``[null, record]`` union whose class is known, else None."""
        branches = [b for b in node.branches if b.kind != "null"]
        if len(node.branches) != 2 or len(branches) != 1 or branches[0].kind != "record":
            return None
        return branches[0] if self.models.by_name.get(branches[0].name or "") else None

    def _any_class(self, node: AvroType) -> Conv:
        by_class: dict[type[Any], Conv] = {}

        def convert(value: Any) -> Any:
            cls = type(value)
            found = by_class.get(cls)
            if found is None:
                found = by_class[cls] = self._compiled((node, cls), lambda: self._record(node, cls))
            return found(value)

        return convert

    def _compiled(
        self, key: tuple[AvroType, type[Any] | None], core: Callable[[], CoreSchema]
    ) -> Conv:
        """A serializer compiled on first use (once every record the schema names is defined)."""
        found = self._lazy.get(key)
        if found is None:
            with self._lock:  # compiling adds definitions: one thread at a time
                found = self._lazy.get(key)
                if found is None:
                    to_python = self._serializer(core()).to_python
                    found = partial(to_python, mode=self.wire.mode, by_alias=True)
                    self._lazy[key] = found
        return found

    def _union(self, node: AvroType) -> Conv:
        tag = self.wire.tag
        other = simple_nullable(node)
        if other is not None:
            name, inner = other.branch_name, self.wire.writer(other)
            if self.wire.tag_nullable:
                return lambda v: None if v is None else tag(name, inner(v))
            return lambda v: None if v is None else inner(v)
        pick = UnionPicker(node.branches, self.models).pick
        names = [b.branch_name for b in node.branches]
        convs = [self._branch(b) for b in node.branches]

        def convert(value: Any) -> Any:
            index = pick(value)
            return tag(names[index], convs[index](value))

        return convert

    def _branch(self, node: AvroType) -> Conv:
        if node.kind == "record":
            return self._any_class(node)
        if node.kind in ("array", "map", "union"):
            return lambda v: self._compiled((node, None), lambda: self._core(node))(v)
        return self.wire.writer(node)


def python(convert: Conv) -> CoreSchema:
    """A value that a Python function turns into the wire's form."""
    return cs.any_schema(serialization=cs.plain_serializer_function_ser_schema(convert))
