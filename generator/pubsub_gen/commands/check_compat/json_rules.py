"""JSON Schema compatibility: does every message the writer schema accepts pass the reader?

A message valid under the writer's schema must stay valid under the reader's. The walk reports
where the reader is narrower: a type or enum that no longer admits a writer's value, a tightened
constraint (lengths, ranges, item and property counts, pattern, format, multipleOf), a property
that became required, a property the writer allows but a closed reader object forbids
(``additionalProperties: false``), and union (``anyOf``/``oneOf``) branches without a reader
counterpart. ``$ref`` (recursive too), ``$defs``/``definitions`` and ``allOf`` are followed.

Like Confluent's "open content model" default, a property the reader declares but the writer
never mentioned is taken as never sent: adding an optional property is compatible.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, TypeGuard

from pubsub_gen.naming import attribute_name, class_name

from .model import Issue, Kind, join_path

_LOWER_BOUNDS = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")
_UPPER_BOUNDS = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")
_VALUE_TYPES: tuple[tuple[type, str], ...] = (
    (bool, "boolean"),
    (int, "integer"),
    (float, "number"),
    (str, "string"),
    (type(None), "null"),
    (dict, "object"),
    (list, "array"),
)


def _value_type(value: Any) -> str:
    return next(name for kind, name in _VALUE_TYPES if isinstance(value, kind))


def _pointer(doc: Any, ref: str) -> Any:
    """Follow a local reference (``#``, ``#/$defs/X``); an unknown one reads as ``{}``."""
    if not ref.startswith("#"):
        return {}
    node = doc
    for raw in filter(None, ref[1:].split("/")):
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return {}
    return node


class _Side:
    """One schema document: resolves references and flattens ``allOf``."""

    def __init__(self, doc: Any) -> None:
        self.doc = doc

    def resolve(self, node: Any) -> tuple[Any, str | None]:
        """The schema a node stands for, and the name of the definition it came from."""
        name: str | None = None
        seen: set[str] = set()
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if ref in seen:
                return {}, name
            seen.add(ref)
            target = _pointer(self.doc, ref)
            name = ref.rsplit("/", 1)[-1] or name
            siblings = {k: v for k, v in node.items() if k != "$ref"}
            node = {**target, **siblings} if isinstance(target, dict) and siblings else target
        if isinstance(node, dict) and isinstance(node.get("allOf"), list):
            node = self._merge_all_of(node)
        return node, name

    def _merge_all_of(self, node: Mapping[str, Any]) -> dict[str, Any]:
        merged: dict[str, Any] = {k: v for k, v in node.items() if k != "allOf"}
        for member in node["allOf"]:
            part, _ = self.resolve(member)
            if not isinstance(part, dict):
                continue
            for key, value in part.items():
                if key == "properties":
                    merged["properties"] = {**value, **merged.get("properties", {})}
                elif key == "required":
                    merged["required"] = sorted({*merged.get("required", ()), *value})
                else:
                    merged.setdefault(key, value)
        return merged


def _types(node: Mapping[str, Any]) -> set[str] | None:
    """The JSON types a schema admits; None = any."""
    values = _values(node)
    if values is not None:
        return {_value_type(v) for v in values}
    declared = node.get("type")
    if declared is None:
        return None
    return set(declared) if isinstance(declared, list) else {declared}


def _values(node: Mapping[str, Any]) -> list[Any] | None:
    if "const" in node:
        return [node["const"]]
    if isinstance(node.get("enum"), list):
        return list(node["enum"])
    return None


def _admits(reader_types: set[str], writer_type: str) -> bool:
    return writer_type in reader_types or (writer_type == "integer" and "number" in reader_types)


def _number(value: Any) -> TypeGuard[float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _divides(step: float, value: float) -> bool:
    """Whether every multiple of ``value`` is a multiple of ``step`` (float-tolerant)."""
    quotient = value / step
    return abs(quotient - round(quotient)) < 1e-9


def _change_message(keyword: str, old: Any, new: Any) -> str:
    if old is None:
        return f"{keyword} {new} added"
    if new is None:
        return f"{keyword} {old} removed"
    return f"{keyword} changed from {old} to {new}"


def _show(values: Any) -> str:
    if isinstance(values, (set, frozenset)):
        values = sorted(values)
    if isinstance(values, list) and len(values) == 1:
        values = values[0]
    return "any" if values is None else str(values).replace("'", "")


class JsonSchemaComparer:
    """Checks that messages valid under ``writer`` stay valid under ``reader``."""

    def __init__(self, reader: Any, writer: Any, *, reader_is_new: bool) -> None:
        self._reader, self._writer = _Side(reader), _Side(writer)
        self._reader_is_new = reader_is_new
        self._visited: set[tuple[str, str]] = set()

    def issues(self) -> list[Issue]:
        self._visited = set()
        return list(self._compare(self._reader.doc, self._writer.doc, ""))

    def _old_new(self, r: Any, w: Any) -> tuple[Any, Any]:
        return (w, r) if self._reader_is_new else (r, w)

    def _issue(self, path: str, backward: tuple[str, str], forward: tuple[str, str]) -> Issue:
        rule, message = backward if self._reader_is_new else forward
        return Issue(path, rule, message)

    def _trial(self, r: Any, w: Any, path: str) -> list[Issue]:
        saved = set(self._visited)
        try:
            return list(self._compare(r, w, path))
        finally:
            self._visited = saved

    def _compare(self, r_node: Any, w_node: Any, path: str) -> Iterator[Issue]:
        r, r_name = self._reader.resolve(r_node)
        w, w_name = self._writer.resolve(w_node)
        if r_name and w_name:
            if (r_name, w_name) in self._visited:
                return  # recursion, or a definition already compared
            self._visited.add((r_name, w_name))
            if self._reader_is_new and class_name(w_name) != class_name(r_name):
                yield Issue(
                    path,
                    "python-class-renamed",
                    f"model class {class_name(w_name)} renamed to {class_name(r_name)}",
                    Kind.PYTHON,
                )
        if r is True or r == {}:
            return
        if r is False or w is False:
            if r is False and w is not False:
                yield self._issue(
                    path,
                    ("schema-closed", "the new schema accepts nothing here"),
                    ("schema-opened", "the new schema accepts values the old one refused"),
                )
            return
        if w is True:
            w = {}
        yield from self._compare_objects(r, w, path)

    def _compare_objects(self, r: dict[str, Any], w: dict[str, Any], path: str) -> Iterator[Issue]:
        r_branches = r.get("anyOf") or r.get("oneOf")
        w_branches = w.get("anyOf") or w.get("oneOf")
        if isinstance(w_branches, list):
            for index, branch in enumerate(w_branches):
                where = join_path(path, f"<{index}>") if len(w_branches) > 2 else path
                if isinstance(r_branches, list):
                    yield from self._into_union(r_branches, branch, where, w_branches)
                elif self._disjoint(r, branch):
                    yield self._branch_issue(branch, where)
                else:
                    yield from self._compare(r, branch, where)
            return
        if isinstance(r_branches, list):
            yield from self._into_union(r_branches, w, path, None)
            return
        type_issue = self._compare_types(r, w, path)
        if type_issue is not None:
            yield type_issue
            return
        yield from self._compare_values(r, w, path)
        yield from self._compare_bounds(r, w, path)
        yield from self._compare_objects_properties(r, w, path)
        yield from self._compare_arrays(r, w, path)

    def _into_union(
        self, r_branches: list[Any], w: Any, path: str, w_union: list[Any] | None
    ) -> Iterator[Issue]:
        """A writer value must satisfy some reader branch: the one that breaks least."""
        best: list[Issue] | None = None
        for branch in r_branches:
            found = self._trial(branch, w, path)
            breaks = [i for i in found if i.kind is Kind.BREAK]
            if best is None or len(breaks) < len([i for i in best if i.kind is Kind.BREAK]):
                best = found
            if not breaks:
                break
        if best is not None and not any(i.kind is Kind.BREAK for i in best):
            yield from self._compare_union_branch(r_branches, w, path)
            return
        if w_union is not None:
            yield self._branch_issue(w, path)
        else:
            yield from best or []

    def _disjoint(self, r: dict[str, Any], w_branch: Any) -> bool:
        """A writer branch whose values are all of types the reader refuses."""
        resolved, _ = self._writer.resolve(w_branch)
        r_types = _types(r)
        if r_types is None or not isinstance(resolved, dict):
            return False
        w_types = _types(resolved)
        return w_types is not None and not any(_admits(r_types, t) for t in w_types)

    def _branch_issue(self, w_branch: Any, path: str) -> Issue:
        resolved, name = self._writer.resolve(w_branch)
        label = name or (_show(_types(resolved)) if isinstance(resolved, dict) else str(resolved))
        return self._issue(
            path,
            ("union-branch-removed", f"union branch {label} removed"),
            ("union-branch-added", f"union branch {label} added"),
        )

    def _compare_union_branch(self, r_branches: list[Any], w: Any, path: str) -> Iterator[Issue]:
        """Re-run the matching branch for real, so visits and warnings are recorded once."""
        for branch in r_branches:
            found = self._trial(branch, w, path)
            if not any(i.kind is Kind.BREAK for i in found):
                yield from self._compare(branch, w, path)
                return

    def _compare_types(self, r: dict[str, Any], w: dict[str, Any], path: str) -> Issue | None:
        r_types, w_types = _types(r), _types(w)
        if r_types is None:
            return None
        if w_types is None:
            refused = None
        else:
            refused = {t for t in w_types if not _admits(r_types, t)}
            if not refused:
                return None
        old, new = self._old_new(_show(r_types), _show(w_types))
        return self._issue(
            path,
            ("type-narrowed", f"type narrowed from {old} to {new}"),
            ("type-widened", f"type widened from {old} to {new}"),
        )

    def _compare_values(self, r: dict[str, Any], w: dict[str, Any], path: str) -> Iterator[Issue]:
        r_values, w_values = _values(r), _values(w)
        if r_values is None:
            return
        if w_values is None:
            yield self._issue(
                path,
                ("enum-narrowed", f"values restricted to {_show(r_values)}"),
                ("enum-widened", f"enum {_show(r_values)} dropped: any value is allowed now"),
            )
            return
        missing = [v for v in w_values if v not in r_values]
        if missing:
            yield self._issue(
                path,
                ("enum-value-removed", f"enum value(s) {_show(missing)} removed"),
                ("enum-value-added", f"enum value(s) {_show(missing)} added"),
            )

    def _compare_bounds(self, r: dict[str, Any], w: dict[str, Any], path: str) -> Iterator[Issue]:
        for keyword in (*_LOWER_BOUNDS, *_UPPER_BOUNDS):
            r_bound, w_bound = r.get(keyword), w.get(keyword)
            if not _number(r_bound):
                continue
            is_lower = keyword in _LOWER_BOUNDS
            if _number(w_bound) and ((r_bound <= w_bound) if is_lower else (r_bound >= w_bound)):
                continue
            old, new = self._old_new(r_bound, w_bound)
            yield Issue(path, f"{keyword}-changed", self._bound_message(keyword, old, new))
        for keyword in ("pattern", "format"):
            if keyword in r and r.get(keyword) != w.get(keyword):
                old, new = self._old_new(r.get(keyword), w.get(keyword))
                yield Issue(path, f"{keyword}-changed", _change_message(keyword, old, new))
        r_step, w_step = r.get("multipleOf"), w.get("multipleOf")
        if isinstance(r_step, (int, float)) and not (
            isinstance(w_step, (int, float)) and _divides(r_step, w_step)
        ):
            old, new = self._old_new(r_step, w_step)
            yield Issue(path, "multipleOf-changed", _change_message("multipleOf", old, new))
        if r.get("uniqueItems") is True and w.get("uniqueItems") is not True:
            yield self._issue(
                path,
                ("uniqueItems-added", "items must be unique now"),
                ("uniqueItems-removed", "items no longer need to be unique"),
            )

    @staticmethod
    def _bound_message(keyword: str, old: Any, new: Any) -> str:
        if old is None:
            return f"{keyword} {new} added"
        if new is None:
            return f"{keyword} {old} removed"
        return f"{keyword} {'raised' if new > old else 'lowered'} from {old} to {new}"

    def _compare_objects_properties(
        self, r: dict[str, Any], w: dict[str, Any], path: str
    ) -> Iterator[Issue]:
        r_props: dict[str, Any] = r.get("properties") or {}
        w_props: dict[str, Any] = w.get("properties") or {}
        r_required, w_required = set(r.get("required") or ()), set(w.get("required") or ())
        for name in sorted(r_required - w_required):
            yield self._issue(
                join_path(path, name),
                (
                    "required-property-added",
                    "property became required" if name in w_props else "required property added",
                ),
                ("required-property-removed", "property no longer required"),
            )
        r_extra, w_extra = r.get("additionalProperties", True), w.get("additionalProperties", True)
        for name, w_prop in w_props.items():
            where = join_path(path, name)
            if name in r_props:
                yield from self._compare(r_props[name], w_prop, where)
                continue
            if self._reader_is_new:
                yield Issue(
                    where,
                    "python-attribute-removed",
                    f"property removed: attribute {attribute_name(name)} is gone",
                    Kind.PYTHON,
                )
            if r_extra is False:
                yield self._issue(
                    where,
                    ("property-removed", "property removed from a closed object"),
                    ("property-added", "property added, but the old object is closed"),
                )
            elif isinstance(r_extra, dict):
                yield from self._compare(r_extra, w_prop, where)
        if r_extra is False and w_extra is not False:
            yield self._issue(
                path,
                ("additional-properties-closed", "object closed (additionalProperties: false)"),
                (
                    "additional-properties-opened",
                    "object opened: the old schema has additionalProperties: false",
                ),
            )
        elif isinstance(r_extra, dict) and r_extra:
            yield from self._compare(
                r_extra, w_extra if isinstance(w_extra, dict) else {}, join_path(path, "{}")
            )

    def _compare_arrays(self, r: dict[str, Any], w: dict[str, Any], path: str) -> Iterator[Issue]:
        r_tuple = r.get("prefixItems", r.get("items") if isinstance(r.get("items"), list) else None)
        w_tuple = w.get("prefixItems", w.get("items") if isinstance(w.get("items"), list) else None)
        if isinstance(r_tuple, list):
            w_list = w_tuple if isinstance(w_tuple, list) else []
            for index, item in enumerate(r_tuple):
                w_item = w_list[index] if index < len(w_list) else w.get("items", {})
                yield from self._compare(item, w_item, join_path(path, f"[{index}]"))
        r_items = r.get("items")
        if isinstance(r_items, (dict, bool)) and r_items not in ({}, True):
            w_items = w.get("items")
            yield from self._compare(
                r_items,
                w_items if isinstance(w_items, (dict, bool)) else {},
                join_path(path, "[]"),
            )


def check(reader: Any, writer: Any, *, reader_is_new: bool) -> list[Issue]:
    """Issues found checking that ``writer``-valid messages pass ``reader`` (parsed documents)."""
    return JsonSchemaComparer(reader, writer, reader_is_new=reader_is_new).issues()
