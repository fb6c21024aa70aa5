"""The shape of a JSON Schema that the models are made from: what the schema accepts, widened.

Validity is decided at run time by the topic's compiled validator (``jsonschema-rs``) from the
original schema text; the models only give accepted values their Python types. So the copy that
datamodel-code-generator renders keeps only what shapes a value, and every keyword that only
*restricts* values is removed (the validator checks it):

- lengths, ranges, ``multipleOf``, ``pattern``, ``uniqueItems``, item and property counts,
  ``not``, ``if``/``then``/``else``, ``contains``, ``dependent*``, ``propertyNames``,
  ``unevaluated*`` are dropped;
- ``format`` is dropped: format strings stay ``str`` and are never re-spelled (a
  ``datetime`` or ``UUID`` would write ``+00:00`` as ``Z`` or upper-case hex as lower);
- objects keep their declared ``properties``; ``patternProperties`` and an
  ``additionalProperties`` beside declared properties are dropped (undeclared properties are
  kept by every model, ``extra="allow"``); a pure map keeps its value schema;
- tuples (``prefixItems``, an ``items`` array) become lists of any value;
- a schema with object or array keywords but no ``type`` also accepts every other JSON type
  (as JSON Schema says), so its model is a union of the object/array branch and the scalars;
- ``$ref`` that is not a plain pointer into this document (anchors, ``$dynamicRef``,
  ``$recursiveRef``, references relative to a nested ``$id``) is resolved to a pointer when it
  can be, and widened to any value otherwise; ``enum``/``const`` holding objects or arrays
  widen to any value.

References are rewritten to where their target sits in the reshaped copy.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, urldefrag, urljoin

from pubsub_gen.errors import json_pointer

Pointer = tuple[str, ...]

_ANNOTATIONS = ("title", "description", "default", "deprecated", "readOnly", "writeOnly")
_OBJECT_KEYS = ("properties", "required", "additionalProperties")
_ARRAY_KEYS = ("items",)
_OTHER_TYPES = ["string", "integer", "number", "boolean", "null"]
_ALL_TYPES = ("object", "array", *_OTHER_TYPES)
_BASE = "https://pubsub-gen.invalid/schema.json"  # base URI of a document without $id


def _is_scalar(value: Any) -> bool:
    return not isinstance(value, dict | list)


class Widener:
    def __init__(self, document: Mapping[str, Any], draft: str, object_name: str) -> None:
        self.object_name = object_name
        self.id_key = "id" if draft == "4" else "$id"
        self.legacy_ref = draft in ("4", "6", "7")  # $ref siblings are ignored
        self.document = document
        self.ids: dict[str, Pointer] = {}  # absolute URI (no fragment) -> pointer
        self.anchors: dict[str, Pointer] = {}  # absolute URI with '#anchor' -> pointer
        self.moved: dict[Pointer, Pointer] = {}  # old pointer -> new pointer
        self.refs: list[tuple[dict[str, Any], Pointer | None]] = []  # ref holder, old target
        root_id = document.get(self.id_key) if isinstance(document, dict) else None
        base = urljoin(_BASE, root_id) if isinstance(root_id, str) else _BASE
        self.root_base = urldefrag(base)[0]
        self._collect(document, (), self.root_base)

    def _collect(self, node: Any, pointer: Pointer, base: str) -> None:
        """Every ``$id`` and anchor of the document, by absolute URI."""
        if isinstance(node, list):
            for index, child in enumerate(node):
                self._collect(child, (*pointer, str(index)), base)
            return
        if not isinstance(node, dict):
            return
        own = node.get(self.id_key)
        if self.legacy_ref and "$ref" in node:
            own = None  # before 2019-09 a $ref hides its siblings, $id included
        if isinstance(own, str):
            uri, fragment = urldefrag(urljoin(base, own))
            if fragment:  # draft 6/7 style plain-name id: "#foo"
                self.anchors[f"{uri}#{fragment}"] = pointer
            else:
                base = uri
                self.ids.setdefault(uri, pointer)
        anchor = node.get("$anchor")
        if isinstance(anchor, str):
            self.anchors[f"{base}#{anchor}"] = pointer
        for key, child in node.items():
            if key in ("enum", "const", "default", "examples"):
                continue
            self._collect(child, (*pointer, key), base)

    def target(self, ref: str, base: str) -> Pointer | None:
        """The old pointer that ``ref`` names, or None (outside the document, dynamic)."""
        uri, fragment = urldefrag(urljoin(base, ref))
        start = self.ids.get(uri)
        if start is None and uri == self.root_base:
            start = ()
        if start is None:
            return None
        if not fragment:
            return start
        if fragment.startswith("/"):
            parts: list[str] = []
            for raw in fragment.split("/")[1:]:
                token = unquote(raw).replace("~1", "/").replace("~0", "~")
                parts.append(token)
            return (*start, *parts)
        return self.anchors.get(f"{uri}#{fragment}")

    def widen(self, node: Any, old: Pointer, new: Pointer, base: str) -> Any:
        self.moved[old] = new
        if not isinstance(node, dict):
            return {}  # true, false (no value to type) or malformed: any value
        own = node.get(self.id_key)
        if isinstance(own, str) and old != () and not (self.legacy_ref and "$ref" in node):
            uri = urldefrag(urljoin(base, own))[0]
            base = uri or base
        out: dict[str, Any] = {}
        for key in _ANNOTATIONS:
            if key in node:
                out[key] = node[key]
        for key, value in node.items():
            if key.startswith("x-"):
                out[key] = value
        for key in ("$defs", "definitions"):
            if isinstance(node.get(key), dict):
                out[key] = {
                    name: self.widen(child, (*old, key, name), (*new, key, name), base)
                    for name, child in node[key].items()
                }
        ref = node.get("$ref")
        if isinstance(ref, str):
            out["$ref"] = ref
            self.refs.append((out, self.target(ref, base)))
            if self.legacy_ref:
                return out
        if "type" in node:
            out["type"] = node["type"]
        enum = node.get("enum")
        if isinstance(enum, list) and all(_is_scalar(value) for value in enum):
            out["enum"] = enum
        if "const" in node and _is_scalar(node["const"]):
            out["const"] = node["const"]
        for key in ("allOf", "anyOf", "oneOf"):
            if isinstance(node.get(key), list):
                out[key] = [
                    self.widen(child, (*old, key, str(i)), (*new, key, str(i)), base)
                    for i, child in enumerate(node[key])
                ]
        if isinstance(node.get("allOf"), list):
            self._first_declaration_wins(node, out["allOf"], base)
        shape = self._shape(node)
        kinds = node.get("type")
        wrap = (
            (shape["object"] or shape["array"])
            and not {"$ref", "allOf", "anyOf", "oneOf", "enum", "const"} & out.keys()
            and (
                "type" not in node
                or (isinstance(kinds, list) and len(kinds) > 1 and {"object", "array"} & set(kinds))
            )
        )
        if not wrap:
            self._object(node, shape, old, new, out, base)
            self._array(node, shape, old, new, out, base)
            return out
        allowed = list(kinds) if isinstance(kinds, list) else list(_ALL_TYPES)
        branches: list[dict[str, Any]] = []
        for kind, fill in (("object", self._object), ("array", self._array)):
            if kind in allowed and shape[kind]:
                branch: dict[str, Any] = {"type": kind}
                if old == () and kind == "object":
                    # The root's object branch is a definition of its own: a reference to the
                    # root from inside it then names a class the library can render.
                    defs = out.setdefault(
                        "$defs" if "$defs" in out or not self.legacy_ref else "definitions", {}
                    )
                    name = self.object_name
                    while name in defs:
                        name += "_"
                    fill(
                        node,
                        shape,
                        old,
                        (*new, "$defs" if "$defs" in out else "definitions", name),
                        branch,
                        base,
                    )
                    defs[name] = branch
                    key = "$defs" if "$defs" in out else "definitions"
                    branches.append({"$ref": "#" + json_pointer(key, name)})
                    continue
                fill(node, shape, old, (*new, "anyOf", str(len(branches))), branch, base)
                branches.append(branch)
        others = [kind for kind in allowed if not (kind in ("object", "array") and shape[kind])]
        if others:
            branches.append({"type": others if len(others) > 1 else others[0]})
        out.pop("type", None)
        out["anyOf"] = branches
        return out

    def _first_declaration_wins(
        self, node: dict[str, Any], parts: list[dict[str, Any]], base: str
    ) -> None:
        """A property declared again by a later ``allOf`` part keeps its first schema only.

        Every part must hold, so a valid value fits the first declaration: the model's type is
        wider than the schema's (the validator checks the rest). The library would otherwise
        merge the declarations itself, and it may keep the wrong one (``str`` where a part
        narrows a nullable string to ``null``).
        """
        seen = set(self._declared(node, base, own_only=True))
        for original, widened in zip(node["allOf"], parts, strict=True):
            names = self._declared(original, base)
            holders = [widened, *(b for b in widened.get("anyOf", []) if isinstance(b, dict))]
            for holder in holders:
                properties = holder.get("properties")
                if isinstance(properties, dict):
                    for name in names & seen:
                        properties.pop(name, None)
            seen |= names

    def _declared(self, node: Any, base: str, *, own_only: bool = False) -> set[str]:
        """Names of the properties ``node`` declares, through local references and ``allOf``."""
        names: set[str] = set()
        for _ in range(16):
            if not isinstance(node, dict):
                return names
            if isinstance(node.get("properties"), dict):
                names |= set(node["properties"])
            if own_only:
                return names
            for part in node.get("allOf", []) if isinstance(node.get("allOf"), list) else []:
                names |= self._declared(part, base, own_only=True)
            ref = node.get("$ref")
            target = self.target(ref, base) if isinstance(ref, str) else None
            if target is None:
                return names
            node = self.at(target)
        return names

    def at(self, pointer: Pointer) -> Any:
        node: Any = self.document
        for part in pointer:
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                return None
        return node

    def _shape(self, node: dict[str, Any]) -> dict[str, bool]:
        return {
            "object": any(key in node for key in _OBJECT_KEYS),
            "array": isinstance(node.get("items"), dict | bool) and "prefixItems" not in node,
        }

    def _object(
        self,
        node: dict[str, Any],
        shape: dict[str, bool],
        old: Pointer,
        new: Pointer,
        out: dict[str, Any],
        base: str,
    ) -> None:
        if not shape["object"]:
            return
        properties = node.get("properties")
        if isinstance(properties, dict):
            out["properties"] = {
                name: self.widen(
                    child, (*old, "properties", name), (*new, "properties", name), base
                )
                for name, child in properties.items()
            }
        if isinstance(node.get("required"), list):
            out["required"] = node["required"]
        extra = node.get("additionalProperties")
        if isinstance(extra, dict) and not properties and "patternProperties" not in node:
            out["additionalProperties"] = self.widen(
                extra, (*old, "additionalProperties"), (*new, "additionalProperties"), base
            )

    def _array(
        self,
        node: dict[str, Any],
        shape: dict[str, bool],
        old: Pointer,
        new: Pointer,
        out: dict[str, Any],
        base: str,
    ) -> None:
        if shape["array"] and isinstance(node["items"], dict):
            out["items"] = self.widen(node["items"], (*old, "items"), (*new, "items"), base)

    def finish(self) -> None:
        """Point every kept reference at its target's new place, or widen it to any value."""
        for holder, target in self.refs:
            new = None if target is None else self.moved.get(target)
            if new is None:
                del holder["$ref"]
            else:
                holder["$ref"] = "#" + json_pointer(*new)


def widen(document: Mapping[str, Any], draft: str, object_name: str) -> dict[str, Any]:
    """The shape of ``document`` for rendering models (see the module docstring).

    ``object_name`` names the definition of the root's object branch when a root without
    ``type`` becomes a union.
    """
    widener = Widener(document, draft, object_name)
    out: dict[str, Any] = widener.widen(document, (), (), widener.root_base)
    widener.finish()
    if "$schema" in document:
        out["$schema"] = document["$schema"]
    return out
