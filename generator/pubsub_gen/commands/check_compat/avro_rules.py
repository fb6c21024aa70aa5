"""Avro 1.11 schema resolution, checked statically: can a reader schema read a writer's data?

Implements the "Schema Resolution" section of the Avro specification over fastavro-parsed
schemas, reporting each failure with the field path where it happens:

- primitives match themselves or a promotion (int -> long/float/double, long -> float/double,
  float -> double, string <-> bytes);
- named types (record, enum, fixed) match on their unqualified name or a reader alias;
- records: a reader field absent from the writer needs a default; fields match by name or a
  reader field alias; writer-only fields are skipped;
- enums: a writer symbol unknown to the reader needs the reader's enum default;
- fixed: equal sizes; arrays and maps: items / values recurse;
- unions: each writer branch resolves against the first reader branch that matches it.

Beyond the wire rules, a changed logical type (or decimal scale / precision) changes what the
bytes mean, so it is reported too. When the reader is the new schema the same walk also notes
the changes that keep the wire compatible but rename or drop generated Python names.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import fastavro

from pubsub_gen.naming import enum_member_name

from .model import Issue, Kind, PythonNames, join_path

_PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
_NAMED = frozenset({"record", "error", "enum", "fixed"})
# writer type -> the reader types that can read it (besides itself)
_PROMOTIONS: Mapping[str, frozenset[str]] = {
    "int": frozenset({"long", "float", "double"}),
    "long": frozenset({"float", "double"}),
    "float": frozenset({"double"}),
    "string": frozenset({"bytes"}),
    "bytes": frozenset({"string"}),
}

Schema = Any  # a fastavro-parsed schema node: str, dict or list


def parse(schema: Any) -> tuple[Schema, dict[str, Any]]:
    """Parse with fastavro; return the schema and its named types by full name."""
    if isinstance(schema, dict) and "__named_schemas" in schema:  # parsed already
        return schema, dict(schema["__named_schemas"])
    named: dict[str, Any] = {}
    parsed = fastavro.parse_schema(schema, named_schemas=named, _write_hint=False)
    return parsed, named


def _short(fullname: str) -> str:
    return fullname.rsplit(".", 1)[-1]


def _namespace(fullname: str) -> str:
    return fullname.rsplit(".", 1)[0] if "." in fullname else ""


def _aliases(node: Mapping[str, Any]) -> set[str]:
    """A named type's aliases as full names (a short alias takes the type's namespace)."""
    space = _namespace(node["name"])
    return {a if "." in a or not space else f"{space}.{a}" for a in node.get("aliases", ())}


class AvroResolver:
    """Checks that data written with ``writer`` can be read with ``reader``."""

    def __init__(
        self,
        reader: Any,
        writer: Any,
        *,
        reader_is_new: bool,
        names: tuple[PythonNames, PythonNames] | None = None,
    ) -> None:
        self._reader, self._r_named = parse(reader)
        self._writer, self._w_named = parse(writer)
        self._reader_is_new = reader_is_new
        # (old, new) generated names, used for the Python checks when the reader is new
        self._old_names, self._new_names = names or (PythonNames(), PythonNames())
        self._explained: set[tuple[str, str]] = set()

    def issues(self) -> list[Issue]:
        """Every breaking change (and, when the reader is new, every Python rename)."""
        self._explained.clear()
        return list(self._explain(self._reader, self._writer, ""))

    # -- helpers -------------------------------------------------------------------------

    def _node(self, schema: Schema, named: Mapping[str, Any]) -> Any:
        """A named reference becomes its definition; ``"int"`` becomes ``{"type": "int"}``."""
        if isinstance(schema, str):
            return named.get(schema, {"type": schema})
        if isinstance(schema, dict) and isinstance(schema.get("type"), (dict, list)):
            return self._node(schema["type"], named)
        if isinstance(schema, dict) and schema.get("type") in named:
            return named[schema["type"]]
        return schema

    @staticmethod
    def _kind(node: Any) -> str:
        if isinstance(node, list):
            return "union"
        kind = str(node["type"])
        return "record" if kind == "error" else kind

    def _describe(self, node: Any) -> str:
        kind = self._kind(node)
        if kind == "union":
            return "union [" + ", ".join(self._describe(self._any(b)) for b in node) + "]"
        if kind in _NAMED or kind == "record":
            return f"{kind} {_short(node['name'])}"
        if kind == "array":
            return "array"
        if kind == "map":
            return "map"
        logical = node.get("logicalType")
        return f"{kind} ({logical})" if logical else kind

    def _any(self, schema: Schema) -> Any:
        """Resolve a node of either schema (names are looked up in both)."""
        if isinstance(schema, str) and schema in self._w_named and schema not in self._r_named:
            return self._node(schema, self._w_named)
        return self._node(schema, self._r_named)

    def _names_match(self, r: Mapping[str, Any], w: Mapping[str, Any]) -> bool:
        r_name, w_name = r["name"], w["name"]
        if _short(r_name) == _short(w_name):
            return True
        aliases = _aliases(r)
        return w_name in aliases or _short(w_name) in {_short(a) for a in aliases}

    def _shallow_match(self, r: Any, w: Any) -> bool:
        """The specification's "match" used to pick a union branch."""
        rk, wk = self._kind(r), self._kind(w)
        if rk == "union" or wk == "union":
            return False
        if rk != wk:
            return rk in _PROMOTIONS.get(wk, frozenset())
        if rk in _NAMED:
            return self._names_match(r, w)
        return True

    def _old_new(self, r: str, w: str) -> tuple[str, str]:
        return (w, r) if self._reader_is_new else (r, w)

    def _break(self, path: str, backward: tuple[str, str], forward: tuple[str, str]) -> Issue:
        """An issue whose rule/message depends on which side is the reader."""
        rule, message = backward if self._reader_is_new else forward
        return Issue(path, rule, message)

    # -- the walk ------------------------------------------------------------------------

    def _explain(self, r_schema: Schema, w_schema: Schema, path: str) -> Iterator[Issue]:
        r = self._node(r_schema, self._r_named)
        w = self._node(w_schema, self._w_named)
        rk, wk = self._kind(r), self._kind(w)
        if wk == "union":
            yield from self._writer_union(r, w, path)
            return
        if rk == "union":
            branch = self._pick(r, w)
            if branch is None:
                old, new = self._old_new(self._describe(r), self._describe(w))
                yield Issue(path, "type-changed", f"type changed from {old} to {new}")
            else:
                yield from self._explain(branch, w, path)
            return
        if rk == wk and rk in _NAMED and not self._names_match(r, w):
            # Say so, then keep comparing the contents: the rest of the report stays useful.
            yield from self._mismatch(r, w, path)
        elif not self._shallow_match(r, w):
            yield from self._mismatch(r, w, path)
            return
        if rk == "record":
            yield from self._record(r, w, path)
        elif rk == "enum":
            yield from self._enum(r, w, path)
        elif rk == "array":
            yield from self._explain(r["items"], w["items"], join_path(path, "[]"))
        elif rk == "map":
            yield from self._explain(r["values"], w["values"], join_path(path, "{}"))
        else:
            if rk == "fixed" and r["size"] != w["size"]:
                old, new = self._old_new(str(r["size"]), str(w["size"]))
                yield Issue(path, "fixed-size-changed", f"fixed size changed from {old} to {new}")
            yield from self._logical(r, w, path)

    def _pick(self, union: list[Any], w: Any) -> Any | None:
        """The first reader branch that matches the writer's type, per the specification."""
        for branch in union:
            node = self._node(branch, self._r_named)
            if self._shallow_match(node, w):
                return node
        return None

    def _branch_path(self, union: list[Any], branch: Any, path: str) -> str:
        """Name the branch in the path only when the union has several non-null branches."""
        nodes = [self._node(b, self._w_named) for b in union]
        if sum(1 for n in nodes if self._kind(n) != "null") < 2:
            return path
        kind = self._kind(branch)
        label = _short(branch["name"]) if kind in _NAMED else kind
        return join_path(path, f"<{label}>")

    def _writer_union(self, r: Any, w: list[Any], path: str) -> Iterator[Issue]:
        for w_branch in w:
            node = self._node(w_branch, self._w_named)
            where = self._branch_path(w, node, path)
            target = self._pick(r, node) if self._kind(r) == "union" else r
            if target is not None and self._shallow_match(target, node):
                yield from self._explain(target, node, where)
                continue
            label = self._describe(node)
            yield self._break(
                where,
                ("union-branch-removed", f"union branch {label} removed"),
                ("union-branch-added", f"union branch {label} added"),
            )

    def _mismatch(self, r: Any, w: Any, path: str) -> Iterator[Issue]:
        rk, wk = self._kind(r), self._kind(w)
        if rk == wk and rk in _NAMED:
            old, new = self._old_new(_short(r["name"]), _short(w["name"]))
            yield self._break(
                path,
                (
                    "name-changed",
                    f"{rk} renamed from {old} to {new} without an alias for {old}",
                ),
                ("name-changed", f"{rk} renamed from {old} to {new}: old readers expect {old}"),
            )
            return
        old, new = self._old_new(self._describe(r), self._describe(w))
        yield Issue(path, "type-changed", f"type changed from {old} to {new}")

    def _logical(self, r: Mapping[str, Any], w: Mapping[str, Any], path: str) -> Iterator[Issue]:
        r_logical, w_logical = r.get("logicalType"), w.get("logicalType")
        if r_logical != w_logical:
            old, new = self._old_new(str(r_logical or "none"), str(w_logical or "none"))
            yield Issue(path, "logical-type-changed", f"logical type changed from {old} to {new}")
            return
        if r_logical != "decimal":
            return
        if r.get("scale", 0) != w.get("scale", 0):
            old, new = self._old_new(str(r.get("scale", 0)), str(w.get("scale", 0)))
            yield Issue(path, "decimal-scale-changed", f"decimal scale changed from {old} to {new}")
        if r.get("precision", 0) < w.get("precision", 0):
            old, new = self._old_new(str(r.get("precision")), str(w.get("precision")))
            yield self._break(
                path,
                ("decimal-precision-narrowed", f"decimal precision narrowed from {old} to {new}"),
                ("decimal-precision-widened", f"decimal precision widened from {old} to {new}"),
            )

    def _record(self, r: Mapping[str, Any], w: Mapping[str, Any], path: str) -> Iterator[Issue]:
        pair = (r["name"], w["name"])
        if pair in self._explained:
            return  # a named type used twice (or recursively) is reported at its first place
        self._explained.add(pair)
        if self._reader_is_new:
            old_class = self._old_names.cls(w["name"])
            new_class = self._new_names.cls(r["name"])
            if old_class != new_class and self._names_match(r, w):
                yield Issue(
                    path,
                    "python-class-renamed",
                    f"model class {old_class} renamed to {new_class}",
                    Kind.PYTHON,
                )
        w_fields = {f["name"]: f for f in w["fields"]}
        matched: set[str] = set()
        for r_field in r["fields"]:
            candidates = [r_field["name"], *r_field.get("aliases", ())]
            w_name = next((c for c in candidates if c in w_fields and c not in matched), None)
            where = join_path(path, r_field["name"])
            if w_name is None:
                if "default" not in r_field:
                    yield self._break(
                        where,
                        ("field-added-without-default", "field added without a default"),
                        (
                            "field-removed-without-default",
                            "field removed and the old schema has no default for it",
                        ),
                    )
                continue
            matched.add(w_name)
            old_attr = self._old_names.attr(w["name"], w_name)
            new_attr = self._new_names.attr(r["name"], r_field["name"])
            if self._reader_is_new and old_attr != new_attr:
                yield Issue(
                    where,
                    "python-attribute-renamed",
                    f"attribute {old_attr} renamed to {new_attr}",
                    Kind.PYTHON,
                )
            yield from self._explain(r_field["type"], w_fields[w_name]["type"], where)
        if self._reader_is_new:
            for name in (n for n in w_fields if n not in matched):
                yield Issue(
                    join_path(path, name),
                    "python-attribute-removed",
                    f"field removed: attribute {self._old_names.attr(w['name'], name)} is gone",
                    Kind.PYTHON,
                )

    def _enum(self, r: Mapping[str, Any], w: Mapping[str, Any], path: str) -> Iterator[Issue]:
        if self._reader_is_new:
            old_class = self._old_names.cls(w["name"])
            new_class = self._new_names.cls(r["name"])
            if old_class != new_class and self._names_match(r, w):
                yield Issue(
                    path,
                    "python-class-renamed",
                    f"enum class {old_class} renamed to {new_class}",
                    Kind.PYTHON,
                )
        r_symbols = set(r["symbols"])
        for symbol in w["symbols"]:
            if symbol in r_symbols:
                continue
            if "default" in r:
                if self._reader_is_new:
                    yield Issue(
                        path,
                        "python-enum-member-removed",
                        f"enum symbol {symbol!r} removed (read as the default "
                        f"{r['default']!r}): member {enum_member_name(symbol)} is gone",
                        Kind.PYTHON,
                    )
                continue
            yield self._break(
                path,
                (
                    "enum-symbol-removed",
                    f"enum symbol {symbol!r} removed and the new enum has no default",
                ),
                (
                    "enum-symbol-added",
                    f"enum symbol {symbol!r} added and the old enum has no default",
                ),
            )


def check(
    reader: Any,
    writer: Any,
    *,
    reader_is_new: bool,
    names: tuple[PythonNames, PythonNames] | None = None,
) -> list[Issue]:
    """Issues found resolving ``writer`` data with ``reader`` (raw or parsed Avro schemas).

    ``names``: the (old, new) generated Python names, for exact Python-rename warnings.
    """
    return AvroResolver(reader, writer, reader_is_new=reader_is_new, names=names).issues()
