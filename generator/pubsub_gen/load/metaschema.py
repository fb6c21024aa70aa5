"""A fast "certainly valid" test of a JSON Schema against its draft's metaschema.

``jsonschema`` validates a document against the 2020-12 metaschema in about 5 ms: the
metaschema is seven vocabularies joined by ``allOf`` and ``$dynamicRef``, and every keyword
of the document passes through all of them with the library's error machinery. Almost every
schema is valid, so this module compiles each metaschema once into plain closures that only
answer "valid?" (about 20 times faster). ``certainly_valid`` returns True only when the
document is valid; on False (invalid, or a case these closures do not decide, such as
``uniqueItems`` over values other than strings) the caller asks ``jsonschema`` for the errors,
so messages and verdicts stay the library's.

The closures implement exactly the keywords the metaschemas use; a metaschema holding any
other keyword is not compiled at all (every document then goes to ``jsonschema``). Both
``$dynamicRef: "#meta"`` (2020-12) and ``$recursiveRef: "#"`` (2019-09) resolve to the
metaschema validation started from, as they do when nothing extends it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urldefrag, urljoin

Check = Callable[[Any], bool]

# Keywords that never reject anything (annotations, identifiers, containers read by $ref).
_ANNOTATIONS = frozenset(
    {
        "$schema",
        "$id",
        "$vocabulary",
        "$comment",
        "$dynamicAnchor",
        "$recursiveAnchor",
        "$defs",
        "definitions",
        "title",
        "description",
        "default",
        "deprecated",
        "examples",
        "readOnly",
        "writeOnly",
        "format",  # an annotation: the metaschema check runs without a format checker
    }
)
_KEYWORDS = frozenset(
    {
        "type",
        "properties",
        "additionalProperties",
        "propertyNames",
        "items",
        "minItems",
        "uniqueItems",
        "minimum",
        "exclusiveMinimum",
        "pattern",
        "enum",
        "allOf",
        "anyOf",
        "$ref",
        "$dynamicRef",
        "$recursiveRef",
    }
)
# Drafts before 2019-09 ignore the siblings of "$ref".
_LEGACY_REF = ("http://json-schema.org/draft-07/schema", "http://json-schema.org/draft-06/schema")


def _join(base: str, reference: str) -> str:
    """``reference`` resolved against ``base`` (``urljoin`` ignores fragments of URNs)."""
    return base + reference if reference.startswith("#") else urljoin(base, reference)


class _Unsupported(Exception):
    """The metaschema uses something these closures do not implement."""


def _true(instance: Any) -> bool:
    return True


def _false(instance: Any) -> bool:
    return False


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


_TYPES: Mapping[str, Check] = {
    "object": lambda x: isinstance(x, dict),
    "array": lambda x: isinstance(x, list),
    "string": lambda x: isinstance(x, str),
    "boolean": lambda x: isinstance(x, bool),
    "null": lambda x: x is None,
    "number": _is_number,
    # Drafts 6 and later: 1.0 is an integer.
    "integer": lambda x: (
        (isinstance(x, int) and not isinstance(x, bool))
        or (isinstance(x, float) and x.is_integer())
    ),
}


def _all(checks: list[Check]) -> Check:
    if not checks:
        return _true
    if len(checks) == 1:
        return checks[0]

    def check(instance: Any) -> bool:
        for one in checks:  # noqa: SIM110 (a loop: all() over a generator is slower here)
            if not one(instance):
                return False
        return True

    return check


class _Compiler:
    def __init__(self, resources: Callable[[str], Any], root: str) -> None:
        self._resources = resources
        self._root = root
        self._compiled: dict[tuple[str, str], Check] = {}

    def reference(self, uri: str) -> Check:
        base, fragment = urldefrag(uri)
        key = (base, fragment)
        if key not in self._compiled:
            cell: list[Check] = []
            self._compiled[key] = lambda instance: cell[0](instance)
            node = self._resources(base)
            for token in fragment.split("/")[1:] if fragment else ():
                token = token.replace("~1", "/").replace("~0", "~")
                node = node[int(token)] if isinstance(node, list) else node[token]
            compiled = self.compile(node, base)
            cell.append(compiled)
            self._compiled[key] = compiled
        return self._compiled[key]

    def compile(self, node: Any, base: str) -> Check:
        if node is True:
            return _true
        if node is False:
            return _false
        if not isinstance(node, dict):
            raise _Unsupported(f"schema {node!r}")
        if isinstance(node.get("$id"), str) and _join(base, node["$id"]).rstrip("#") != base:
            raise _Unsupported("a nested $id")
        unknown = set(node) - _ANNOTATIONS - _KEYWORDS
        if unknown:
            raise _Unsupported(f"keywords {sorted(unknown)}")
        if "$ref" in node and base in _LEGACY_REF:
            return self._ref(node["$ref"], base)
        checks: list[Check] = []
        if "type" in node:
            checks.append(self._type(node["type"]))
        if "enum" in node:
            checks.append(self._enum(node["enum"]))
        if "$ref" in node:
            checks.append(self._ref(node["$ref"], base))
        if "$dynamicRef" in node:
            checks.append(self._dynamic(node["$dynamicRef"], base, "#meta", "$dynamicAnchor"))
        if "$recursiveRef" in node:
            checks.append(self._dynamic(node["$recursiveRef"], base, "#", "$recursiveAnchor"))
        for key, combine in (("allOf", all), ("anyOf", any)):
            if key in node:
                checks.append(self._combined(node[key], base, combine))
        if {"properties", "additionalProperties", "propertyNames"} & node.keys():
            checks.append(self._object(node, base))
        if {"items", "minItems", "uniqueItems"} & node.keys():
            checks.append(self._array(node, base))
        if "minimum" in node or "exclusiveMinimum" in node:
            checks.append(self._number(node))
        if "pattern" in node:
            checks.append(self._pattern(node["pattern"]))
        return _all(checks)

    def _dynamic(self, ref: Any, base: str, expected: str, anchor: str) -> Check:
        """``$dynamicRef: "#meta"`` / ``$recursiveRef: "#"`` where both the current resource
        and the root declare the dynamic anchor: the outermost one, the root, is the target."""
        value = "meta" if anchor == "$dynamicAnchor" else True
        declared = all(self._resources(uri).get(anchor) == value for uri in (base, self._root))
        if ref != expected or not declared:
            raise _Unsupported(f"{anchor[1:]} reference {ref!r}")
        return self.reference(self._root)

    def _ref(self, ref: Any, base: str) -> Check:
        if not isinstance(ref, str):
            raise _Unsupported(f"$ref {ref!r}")
        return self.reference(_join(base, ref))

    @staticmethod
    def _type(kind: Any) -> Check:
        kinds = kind if isinstance(kind, list) else [kind]
        try:
            checks = [_TYPES[k] for k in kinds]
        except (KeyError, TypeError) as exc:
            raise _Unsupported(f"type {kind!r}") from exc
        if len(checks) == 1:
            return checks[0]
        return lambda instance: any(check(instance) for check in checks)

    @staticmethod
    def _enum(values: Any) -> Check:
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise _Unsupported(f"enum {values!r}")
        allowed = frozenset(values)
        return lambda instance: isinstance(instance, str) and instance in allowed

    def _combined(self, schemas: Any, base: str, combine: Callable[[Any], bool]) -> Check:
        if not isinstance(schemas, list) or not schemas:
            raise _Unsupported("allOf/anyOf")
        checks = [self.compile(schema, base) for schema in schemas]
        if combine is all:
            return _all(checks)
        return lambda instance: any(check(instance) for check in checks)

    def _object(self, node: dict[str, Any], base: str) -> Check:
        properties = node.get("properties", {})
        if not isinstance(properties, dict):
            raise _Unsupported("properties")
        known = {name: self.compile(schema, base) for name, schema in properties.items()}
        extra = (
            self.compile(node["additionalProperties"], base)
            if "additionalProperties" in node
            else None
        )
        names = self.compile(node["propertyNames"], base) if "propertyNames" in node else None

        def check(instance: Any) -> bool:
            if not isinstance(instance, dict):
                return True
            for name, value in instance.items():
                one = known.get(name, extra)
                if one is not None and not one(value):
                    return False
                if names is not None and not names(name):
                    return False
            return True

        return check

    def _array(self, node: dict[str, Any], base: str) -> Check:
        items = self.compile(node["items"], base) if "items" in node else None
        if "items" in node and isinstance(node["items"], list):
            raise _Unsupported("items as an array")
        least = node.get("minItems", 0)
        unique = node.get("uniqueItems", False)
        if not isinstance(least, int) or not isinstance(unique, bool):
            raise _Unsupported("minItems/uniqueItems")

        def check(instance: Any) -> bool:
            if not isinstance(instance, list):
                return True
            if len(instance) < least:
                return False
            if unique and not (
                all(isinstance(item, str) for item in instance)
                and len(set(instance)) == len(instance)
            ):
                return False  # not unique, or values only jsonschema compares exactly
            return items is None or all(items(item) for item in instance)

        return check

    @staticmethod
    def _number(node: dict[str, Any]) -> Check:
        low = node.get("minimum")
        above = node.get("exclusiveMinimum")
        if not all(bound is None or _is_number(bound) for bound in (low, above)):
            raise _Unsupported("minimum/exclusiveMinimum")

        def check(instance: Any) -> bool:
            if not _is_number(instance):
                return True
            if low is not None and instance < low:
                return False
            return above is None or instance > above

        return check

    @staticmethod
    def _pattern(pattern: Any) -> Check:
        if not isinstance(pattern, str):
            raise _Unsupported("pattern")
        search = re.compile(pattern).search  # jsonschema's semantics: re.search
        return lambda instance: not isinstance(instance, str) or search(instance) is not None


_COMPILED: dict[str, Check | None] = {}


def compiled(metaschema: Mapping[str, Any], resources: Callable[[str], Any]) -> Check | None:
    """The closures of ``metaschema`` (resolving references with ``resources``), or None."""
    root = str(metaschema.get("$id", "")).rstrip("#")
    if root not in _COMPILED:
        try:
            _COMPILED[root] = _Compiler(resources, root).reference(root) if root else None
        except (_Unsupported, LookupError, TypeError, ValueError, re.error):
            _COMPILED[root] = None
    return _COMPILED[root]


def certainly_valid(document: Any, validator_class: Any) -> bool:
    """True when ``document`` is valid against ``validator_class.META_SCHEMA``.

    False means "invalid or undecided": ask ``jsonschema``.
    """
    from jsonschema_specifications import REGISTRY  # type: ignore[import-untyped]

    def resources(uri: str) -> Any:
        return REGISTRY.contents(uri)

    check = compiled(validator_class.META_SCHEMA, resources)
    if check is None:
        return False
    try:
        return check(document)
    except RecursionError:
        return False
