"""Read an Avro schema document into the intermediate model, collecting every problem.

Names are resolved as the Avro 1.11 specification says: a name with a dot is a full name;
otherwise it takes the namespace of the most tightly enclosing named type, and so does a
reference: no fallback to the null namespace as in Java's parser, since fastavro (under the
runtime's codecs) refuses it. Named types must be defined before use within the same file (a
record may refer to itself: recursion).
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import fastavro

from pubsub_gen import ir
from pubsub_gen.errors import SchemaProblem, SchemaWarning, json_pointer
from pubsub_gen.load.avro_defaults import default_problem

PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ORDERS = frozenset({"ascending", "descending", "ignore"})
# Logical types over primitives, and the primitive each must annotate (others are ignored,
# as the specification says, and the underlying type is used).
_PRIMITIVE_LOGICAL: dict[str, str] = {
    "uuid": "string",
    "date": "int",
    "time-millis": "int",
    "time-micros": "long",
    "timestamp-millis": "long",
    "timestamp-micros": "long",
    "local-timestamp-millis": "long",
    "local-timestamp-micros": "long",
}

Pointer = tuple[str | int, ...]


def max_decimal_precision(size: int) -> int:
    """The most decimal digits a two's complement number of ``size`` bytes always holds."""
    return math.floor(math.log10(2 ** (8 * size - 1) - 1)) if size > 0 else 0


class AvroReader:
    """Reads one Avro schema document; ``problems`` collects what is wrong with it."""

    def __init__(self, where: Path, *, empty_unions: bool = False) -> None:
        self.where = where
        self.empty_unions = empty_unions
        self.problems: list[SchemaProblem] = []
        self.named: dict[str, ir.NamedType | None] = {}  # None while a record is being read
        self._fixed_logical: dict[str, ir.Logical] = {}

    def problem(self, pointer: Pointer, message: str) -> None:
        self.problems.append(SchemaProblem(self.where, json_pointer(*pointer), message))

    def warn(self, pointer: Pointer, message: str) -> None:
        text = str(SchemaProblem(self.where, json_pointer(*pointer), message))
        warnings.warn(text, SchemaWarning, stacklevel=2)

    def read(self, document: Any) -> ir.AvroPayload | None:
        root = self.read_type(document, None, ())
        if root is None or self.problems:
            return None
        try:
            # As the runtime's codecs give it to fastavro (which misreads a few legal schemas)
            from pubsub_runtime._codecs.avro import for_fastavro

            fastavro.parse_schema(for_fastavro(document)[0])
        except Exception as exc:  # fastavro raises several unrelated exception types
            self.problem((), f"invalid Avro schema: {exc}")
            return None
        named = tuple(n for n in self.named.values() if n is not None)
        return ir.AvroPayload(root=root, named_types=named)

    # -- types ---------------------------------------------------------------------------------

    def read_type(self, schema: Any, namespace: str | None, at: Pointer) -> ir.TypeRef | None:
        if isinstance(schema, str):
            return self._resolve(schema, namespace, at)
        if isinstance(schema, list):
            return self._union(schema, namespace, at)
        if not isinstance(schema, dict):
            self.problem(at, f"a type must be a name, an object or an array, not {schema!r}")
            return None
        kind = schema.get("type")
        if isinstance(kind, dict | list):
            return self.read_type(kind, namespace, (*at, "type"))
        if not isinstance(kind, str):
            self.problem(at, 'a type object needs a "type"')
            return None
        if kind in ("record", "error"):
            return self._record(schema, namespace, at)
        if kind == "enum":
            return self._enum(schema, namespace, at)
        if kind == "fixed":
            return self._fixed(schema, namespace, at)
        if kind == "array":
            if "items" not in schema:
                self.problem(at, 'an array needs "items"')
                return None
            items = self.read_type(schema["items"], namespace, (*at, "items"))
            return ir.Array(items) if items is not None else None
        if kind == "map":
            if "values" not in schema:
                self.problem(at, 'a map needs "values"')
                return None
            values = self.read_type(schema["values"], namespace, (*at, "values"))
            return ir.Map(values) if values is not None else None
        if kind in PRIMITIVES:
            return self._logical(schema, ir.Primitive(cast(ir.PrimitiveName, kind)), at)
        return self._resolve(kind, namespace, (*at, "type"))

    def _resolve(self, name: str, namespace: str | None, at: Pointer) -> ir.TypeRef | None:
        if name in PRIMITIVES:
            return ir.Primitive(cast(ir.PrimitiveName, name))
        full_name = name if "." in name or not namespace else f"{namespace}.{name}"
        if full_name in self.named:
            return self._fixed_logical.get(full_name, ir.NamedRef(full_name))
        if full_name != name and name in self.named:
            # Java's parser falls back to the null namespace; fastavro, under the codecs, does not
            self.problem(
                at,
                f"unknown type {name!r}: inside namespace {namespace!r} it means "
                f"{full_name!r}; a type of the null namespace cannot be named from there",
            )
            return None
        self.problem(
            at,
            f"unknown type {name!r}: a named type must be defined (in this file) before it is used",
        )
        return None

    def _union(self, branches: list[Any], namespace: str | None, at: Pointer) -> ir.TypeRef | None:
        read: list[ir.TypeRef] = []
        seen: set[str] = set()
        for index, branch in enumerate(branches):
            if isinstance(branch, list):
                self.problem((*at, index), "a union may not hold another union directly")
                continue
            branch_type = self.read_type(branch, namespace, (*at, index))
            if branch_type is None:
                continue
            key = _union_key(branch_type)
            if key in seen:
                self.problem((*at, index), f"a union may hold only one {key}")
            seen.add(key)
            read.append(branch_type)
        if not branches and not self.empty_unions:
            self.problem(at, "an empty union holds no value, so no message could be written")
        if len(read) != len(branches):
            return None
        return ir.Union(tuple(read))

    def _name(
        self, schema: dict[str, Any], kind: str, namespace: str | None, at: Pointer
    ) -> tuple[str, str, str | None] | None:
        """(full name, short name, namespace) of a named type, registered; None if invalid."""
        name = schema.get("name")
        if not isinstance(name, str) or not name:
            self.problem(at, f'{_article(kind)} {kind} needs a "name"')
            return None
        if "." in name:
            space, _, short = name.rpartition(".")
            space_at, space_text = (*at, "name"), f"in the name {name!r}"
        else:
            declared = schema.get("namespace")
            if declared is not None and not isinstance(declared, str):
                self.problem((*at, "namespace"), "a namespace must be a string")
                return None
            space, short = (declared if declared is not None else namespace or ""), name
            space_at = (*at, "namespace") if declared is not None else at
            space_text = (
                f"{space!r}" if declared is not None else f"{space!r}, inherited by {name!r}"
            )
        ok = True
        if not _NAME.fullmatch(short):
            self.problem((*at, "name"), f"invalid name {name!r}: {_name_rule(short)}")
            ok = False
        for part in space.split(".") if space else []:
            if not _NAME.fullmatch(part):
                rule = (
                    "its parts, between dots, may not be empty"
                    if not part
                    else f"{part!r}: {_name_rule(part)}"
                )
                self.problem(space_at, f"invalid namespace {space_text}: {rule}")
                ok = False
                break
        # In a namespace, a primitive's name is a legal short name ("ns.int", as Java and the
        # Apache Avro corpus read it); a plain "int" always means the primitive, as in Java.
        if ok and short in PRIMITIVES and not space:
            self.problem((*at, "name"), f"{short!r} is a primitive type and cannot be redefined")
            ok = False
        full_name = f"{space}.{short}" if space else short
        if ok and full_name in self.named:
            self.problem((*at, "name"), f"the type {full_name!r} is defined twice")
            ok = False
        if not ok:
            return None
        self.named[full_name] = None
        return full_name, short, space or None

    def _common(self, schema: dict[str, Any], at: Pointer) -> tuple[str | None, tuple[str, ...]]:
        doc = schema.get("doc")
        if doc is not None and not isinstance(doc, str):
            self.problem((*at, "doc"), "doc must be a string")
            doc = None
        aliases = schema.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            self.problem((*at, "aliases"), "aliases must be a list of names")
            aliases = []
        return doc, tuple(aliases)

    def _record(
        self, schema: dict[str, Any], namespace: str | None, at: Pointer
    ) -> ir.TypeRef | None:
        named = self._name(schema, "record", namespace, at)
        fields = schema.get("fields")
        if not isinstance(fields, list):
            self.problem(at, 'a record needs a "fields" list')
            return None
        if named is None:
            return None
        full_name, short, space = named
        doc, aliases = self._common(schema, at)
        read_fields: list[ir.Field] = []
        wire_names: set[str] = set()
        for index, field in enumerate(fields):
            read = self._field(field, space, (*at, "fields", index), wire_names)
            if read is not None:
                read_fields.append(read)
        self.named[full_name] = ir.RecordType(
            full_name=full_name,
            name=short,
            namespace=space,
            python_name="",  # assigned once every type of the topic is known
            fields=tuple(read_fields),
            doc=doc,
            aliases=aliases,
        )
        return ir.NamedRef(full_name)

    def _field(
        self, field: Any, namespace: str | None, at: Pointer, wire_names: set[str]
    ) -> ir.Field | None:
        if not isinstance(field, dict):
            self.problem(at, "a field must be an object")
            return None
        name = field.get("name")
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            rule = _name_rule(name) if isinstance(name, str) else "a field needs a name"
            self.problem((*at, "name"), f"invalid field name {name!r}: {rule}")
            return None
        if name in wire_names:
            self.problem((*at, "name"), f"duplicate field name {name!r}")
            return None
        wire_names.add(name)
        if "type" not in field:
            self.problem(at, f'the field {name!r} needs a "type"')
            return None
        # A "logicalType" key on the field itself is not a logical type: only the type's counts.
        field_type = self.read_type(field["type"], namespace, (*at, "type"))
        doc, aliases = self._common(field, at)
        order = field.get("order")
        if order is not None and order not in _ORDERS:
            self.problem((*at, "order"), f"order must be one of {', '.join(sorted(_ORDERS))}")
        if field_type is None:
            return None
        has_default = "default" in field
        if has_default:
            reason = default_problem(field_type, field["default"], self.named)
            if reason is not None:
                self.problem((*at, "default"), f"invalid default for {name!r}: {reason}")
        return ir.Field(
            wire_name=name,
            python_name="",
            type=field_type,
            doc=doc,
            has_default=has_default,
            default=field.get("default"),
            aliases=aliases,
            order=order,
        )

    def _enum(
        self, schema: dict[str, Any], namespace: str | None, at: Pointer
    ) -> ir.TypeRef | None:
        named = self._name(schema, "enum", namespace, at)
        symbols = schema.get("symbols")
        if not isinstance(symbols, list) or not symbols:
            self.problem(at, 'an enum needs a non-empty "symbols" list')
            return None
        ok = True
        for index, symbol in enumerate(symbols):
            if not isinstance(symbol, str) or not _NAME.fullmatch(symbol):
                rule = _name_rule(symbol) if isinstance(symbol, str) else "not a string"
                self.problem((*at, "symbols", index), f"invalid enum symbol {symbol!r}: {rule}")
                ok = False
            elif symbols.index(symbol) != index:
                self.problem((*at, "symbols", index), f"duplicate enum symbol {symbol!r}")
                ok = False
        default = schema.get("default")
        if default is not None and default not in symbols:
            self.problem(
                (*at, "default"), f"the enum default {default!r} is not one of its symbols"
            )
            ok = False
        if named is None or not ok:
            return None
        full_name, short, space = named
        doc, aliases = self._common(schema, at)
        self.named[full_name] = ir.EnumType(
            full_name=full_name,
            name=short,
            namespace=space,
            python_name="",
            symbols=tuple(ir.EnumSymbol(s, "") for s in symbols),
            default=default,
            doc=doc,
            aliases=aliases,
        )
        return ir.NamedRef(full_name)

    def _fixed(
        self, schema: dict[str, Any], namespace: str | None, at: Pointer
    ) -> ir.TypeRef | None:
        named = self._name(schema, "fixed", namespace, at)
        size = schema.get("size")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            self.problem((*at, "size"), "a fixed needs a non-negative integer size")
            return None
        if named is None:
            return None
        full_name, short, space = named
        doc, aliases = self._common(schema, at)
        self.named[full_name] = ir.FixedType(full_name, short, space, size, doc, aliases)
        ref = ir.NamedRef(full_name)
        typed = self._logical(schema, ref, at)
        if isinstance(typed, ir.Logical):
            self._fixed_logical[full_name] = typed
        return typed

    def _logical(
        self, schema: dict[str, Any], base: ir.Primitive | ir.NamedRef, at: Pointer
    ) -> ir.TypeRef | None:
        logical = schema.get("logicalType")
        fixed = self.named.get(base.full_name) if isinstance(base, ir.NamedRef) else None
        if logical == "decimal" and (base == ir.Primitive("bytes") or fixed is not None):
            return self._decimal(schema, base, fixed, at)
        if logical == "duration" and isinstance(fixed, ir.FixedType) and fixed.size == 12:
            return ir.Logical("duration", base)
        if isinstance(base, ir.Primitive) and _PRIMITIVE_LOGICAL.get(str(logical)) == base.name:
            return ir.Logical(cast(ir.LogicalName, logical), base)
        if logical is not None:
            # Unknown, or on the wrong type: ignored, as the specification says, but said.
            plain = base.name if isinstance(base, ir.Primitive) else "fixed"
            if logical == "decimal":
                needs = "bytes or fixed"
            elif logical == "duration":
                needs = "a fixed of 12 bytes"
            else:
                needs = _PRIMITIVE_LOGICAL.get(str(logical), "")
            why = f"needs {needs}" if needs else "is unknown"
            self.warn(
                (*at, "logicalType"), f"logicalType {logical!r} {why}: the type is plain {plain}"
            )
        return base

    def _decimal(
        self,
        schema: dict[str, Any],
        base: ir.Primitive | ir.NamedRef,
        fixed: ir.NamedType | None,
        at: Pointer,
    ) -> ir.TypeRef | None:
        # An invalid decimal is ignored, as the specification says of invalid logical types
        # (and as Java, so Pub/Sub's registry, does): the underlying bytes or fixed is used.
        precision, scale = schema.get("precision"), schema.get("scale", 0)
        reason = None
        if not isinstance(precision, int) or isinstance(precision, bool) or precision < 1:
            reason = (("precision",), f"precision {precision!r} is not a positive integer")
        elif not isinstance(scale, int) or isinstance(scale, bool) or not 0 <= scale <= precision:
            reason = (("scale",), f"scale {scale!r} is not an integer from 0 to the precision")
        elif isinstance(fixed, ir.FixedType) and precision > max_decimal_precision(fixed.size):
            reason = (
                ("precision",),
                f"a fixed of {fixed.size} bytes holds at most "
                f"{max_decimal_precision(fixed.size)} decimal digits, not {precision}",
            )
        if reason is not None:
            place, why = reason
            underlying = "fixed" if fixed is not None else "bytes"
            self.warn(
                (*at, *place), f"invalid decimal ignored ({why}): the type is plain {underlying}"
            )
            return base
        return ir.Logical("decimal", base, precision, scale)


def _union_key(t: ir.TypeRef) -> str:
    if isinstance(t, ir.Logical):
        return _union_key(t.base)
    if isinstance(t, ir.Primitive):
        return t.name
    if isinstance(t, ir.NamedRef):
        return t.full_name
    return "array" if isinstance(t, ir.Array) else "map"


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def _name_rule(name: str) -> str:
    if not name:
        return "a name may not be empty"
    return "names must start with a letter or _ and hold only letters, digits and _"


def read_avro(
    where: Path, document: Any, *, empty_unions: bool = False
) -> tuple[ir.AvroPayload | None, Sequence[SchemaProblem]]:
    """The payload of one Avro schema document, or the problems that prevent it.

    An empty union is valid Avro, but no value fits it, so no code can be made for it: it is
    a problem unless ``empty_unions`` (for comparing schemas only).
    """
    reader = AvroReader(where, empty_unions=empty_unions)
    payload = reader.read(document)
    return payload, reader.problems
