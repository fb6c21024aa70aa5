"""A sample message per JSON Schema topic: a JSON value the schema accepts, checked with it.

Every property is set (optional ones too), ``oneOf``/``anyOf`` take their first non-null branch
that validates, ``allOf`` branches are merged, ``enum`` takes its first non-null value, arrays
and maps hold one item (or ``minItems``), strings follow their format or pattern and lengths,
numbers their bounds. ``$ref`` recursion stops after ``_MAX_NESTING`` levels: optional
properties are left out and arrays left empty below that.
"""

from __future__ import annotations

import base64
import contextlib
import math
from collections import Counter
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

import jsonschema

from pubsub_gen.load.jsonwiden import Widener
from pubsub_gen.render.literals import py_str
from pubsub_gen.render.samples_regex import NoMatch, matching

_MAX_NESTING = 2
_ANNOTATIONS = frozenset(
    {"description", "title", "default", "examples", "$comment", "deprecated", "readOnly"}
)
_FORMATS: Mapping[str, str] = {
    "date-time": "2024-01-15T12:30:45Z",
    "date": "2024-01-15",
    "time": "12:30:45Z",
    "duration": "P1D",
    "email": "user@example.com",
    "idn-email": "user@example.com",
    "hostname": "example.com",
    "idn-hostname": "example.com",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "uri": "https://example.com/",
    "iri": "https://example.com/",
    "uri-reference": "https://example.com/",
    "iri-reference": "https://example.com/",
    "uri-template": "https://example.com/{id}",
    "uuid": "12345678-1234-5678-1234-567812345678",
    "json-pointer": "/sample",
    "relative-json-pointer": "0",
    "regex": "^sample$",
}


class SampleError(Exception):
    """No sample could be built; the message says why."""


class _CannotBuild(Exception):
    pass


def json_sample(document: Mapping[str, Any]) -> Any:
    """A JSON value ``document`` accepts; raises ``SampleError`` when none could be found."""
    from pubsub_runtime._codecs.jsonschema import compile_validator, schema_reason

    try:
        judge = compile_validator(document)  # the topic's own validator decides
    except Exception as exc:  # the generator's checks report it; no sample either way
        raise SampleError(f"the schema does not compile: {str(exc).splitlines()[0]}") from None
    try:
        validator_class = jsonschema.validators.validator_for(
            document, default=jsonschema.Draft202012Validator
        )
        validator = validator_class(document, format_checker=validator_class.FORMAT_CHECKER)
        value = _Builder(document, validator).build(document, "sample")
    except (_CannotBuild, RecursionError) as exc:
        raise SampleError(f"no value fits the schema ({exc or 'recursion'})") from None
    except Exception as exc:  # a shape the builder does not follow (e.g. $ref below an $id)
        raise SampleError(f"no sample built ({type(exc).__name__}: {exc})") from None
    if not judge.is_valid(value):
        raise SampleError(f"the sample built does not validate at {schema_reason(judge, value)}")
    return value


class _Builder:
    def __init__(self, document: Mapping[str, Any], validator: Any) -> None:
        self._document = document
        self._validator = validator
        self._refs: Counter[str] = Counter()

    def _resolve(self, ref: str) -> Any:
        if not ref.startswith("#"):
            # a URI naming an $id of this document (read against the root's base)
            uris = Widener(self._document, "2020-12", "")
            pointer = uris.target(ref, uris.root_base)
            if pointer is None:
                raise _CannotBuild(f"external $ref {ref}")
            return uris.at(pointer)
        target: Any = self._document
        for part in ref[1:].split("/")[1:]:
            key = unquote(part).replace("~1", "/").replace("~0", "~")
            target = target[int(key)] if isinstance(target, list) else target[key]
        return target

    def build(self, schema: Any, hint: str, variant: int = 0) -> Any:
        if schema is True or schema == {}:
            return _text(hint, variant)
        if schema is False or not isinstance(schema, Mapping):
            raise _CannotBuild("a schema that accepts nothing")
        if "$ref" in schema:
            return self._ref(schema, hint, variant)
        if "allOf" in schema:
            rest = {k: v for k, v in schema.items() if k != "allOf"}
            parts = [self._inline(s) for s in schema["allOf"]]
            return self.build(_merge(rest, *parts), hint, variant)
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            allowed = [v for v in schema["enum"] if _has_type(v, schema.get("type"))]
            if not allowed:
                raise _CannotBuild("no enum value has the type")
            values = [v for v in allowed if v is not None] or allowed
            return values[variant % len(values)]
        for key in ("oneOf", "anyOf"):
            if key in schema:
                return self._choice(schema, key, hint, variant)
        return self._typed(schema, _type_of(schema), hint, variant)

    def _ref(self, schema: Mapping[str, Any], hint: str, variant: int) -> Any:
        ref = schema["$ref"]
        if self._refs[ref] >= _MAX_NESTING:
            raise _CannotBuild(f"recursion through {ref}")
        target = self._resolve(ref)
        siblings = {k: v for k, v in schema.items() if k != "$ref" and k not in _ANNOTATIONS}
        self._refs[ref] += 1
        try:
            if siblings and isinstance(target, Mapping):
                return self.build(_merge(siblings, target), hint, variant)
            return self.build(target, hint, variant)
        finally:
            self._refs[ref] -= 1

    def _inline(self, schema: Any) -> Any:
        """``schema`` with a top-level ``$ref`` (and nested ``allOf``) replaced by its target."""
        while isinstance(schema, Mapping) and "$ref" in schema:
            target = self._resolve(schema["$ref"])
            rest = {k: v for k, v in schema.items() if k != "$ref"}
            schema = _merge(rest, target) if isinstance(target, Mapping) else target
        if isinstance(schema, Mapping) and "allOf" in schema:
            rest = {k: v for k, v in schema.items() if k != "allOf"}
            return _merge(rest, *(self._inline(s) for s in schema["allOf"]))
        return schema

    def _choice(self, schema: Mapping[str, Any], key: str, hint: str, variant: int) -> Any:
        rest = {k: v for k, v in schema.items() if k != key}
        branches = list(schema[key])
        # Null branches last: a sample shows the value, not its absence.
        ordered = [b for b in branches if not _is_null(b)] + [b for b in branches if _is_null(b)]
        for branch in ordered:
            try:
                value = self.build(_merge(rest, branch) if rest else branch, hint, variant)
            except _CannotBuild:
                continue
            matches = sum(self._validator.evolve(schema=b).is_valid(value) for b in branches)
            # the branch's value must also satisfy what the schema says beside oneOf/anyOf
            fits = not rest or self._validator.evolve(schema=rest).is_valid(value)
            if fits and (matches == 1 or (key == "anyOf" and matches > 1)):
                return value
        raise _CannotBuild(f"no branch of {key} could be built")

    def _typed(self, schema: Mapping[str, Any], kind: str, hint: str, variant: int) -> Any:
        if kind == "object":
            return self._object(schema, variant)
        if kind == "array":
            return self._array(schema, hint, variant)
        if kind == "string":
            return _string(schema, hint, variant)
        if kind == "integer":
            return _integer(schema, variant)
        if kind == "number":
            return _number(schema, variant)
        if kind == "boolean":
            return True
        if kind == "null":
            return None
        return _text(hint, variant)

    def _object(self, schema: Mapping[str, Any], variant: int) -> dict[str, Any]:
        required = set(schema.get("required", ()))
        properties = schema.get("properties", {})
        value: dict[str, Any] = {}
        for name, subschema in properties.items():
            try:
                value[name] = self.build(subschema, name, variant)
            except _CannotBuild:
                if name in required:
                    raise
        for name in sorted(required - set(value)):  # required but not described
            extra = schema.get("additionalProperties", True)
            value[name] = self.build(extra if isinstance(extra, Mapping) else True, name, variant)
        extra = schema.get("additionalProperties")
        if not properties and isinstance(extra, Mapping) and extra:
            with contextlib.suppress(_CannotBuild):
                value[self._key(schema, variant)] = self.build(extra, "value", variant)
        return value

    def _key(self, schema: Mapping[str, Any], variant: int) -> str:
        """A map key that ``propertyNames`` accepts (a pattern, lengths, a format...)."""
        names = schema.get("propertyNames")
        if not isinstance(names, Mapping):
            return "key"
        key = self.build({"type": "string", **names}, "key", variant)
        if not isinstance(key, str):
            raise _CannotBuild("propertyNames accepts no string")
        return key

    def _array(self, schema: Mapping[str, Any], hint: str, variant: int) -> list[Any]:
        prefix = schema.get("prefixItems")
        items = schema.get("items")
        if isinstance(items, list):  # draft 7 tuples
            prefix, items = items, schema.get("additionalItems")
        if prefix:
            return [self.build(s, hint, i) for i, s in enumerate(prefix)]
        contains = schema.get("contains")
        if isinstance(contains, Mapping | bool):  # the items that must be there
            low = schema.get("minContains", 1)
            return [self.build(contains, hint, i) for i in range(max(1, int(low)))]
        minimum = int(schema.get("minItems", 0))
        count = min(max(1, minimum), int(schema.get("maxItems", max(1, minimum))))
        try:
            return [self.build(items if items is not None else True, hint, i) for i in range(count)]
        except _CannotBuild:
            if minimum:
                raise
            return []


_JSON_TYPES: Mapping[str, tuple[type, ...]] = {
    "null": (type(None),),
    "boolean": (bool,),
    "integer": (int,),
    "number": (int, float),
    "string": (str,),
    "array": (list,),
    "object": (dict,),
}


def _has_type(value: Any, kind: Any) -> bool:
    """Whether ``value`` has the JSON type ``kind`` (a name or a list; None: any)."""
    if kind is None:
        return True
    kinds = kind if isinstance(kind, list) else [kind]
    if isinstance(value, bool):
        return "boolean" in kinds
    if isinstance(value, float) and value.is_integer() and "integer" in kinds:
        return True
    return any(isinstance(value, _JSON_TYPES.get(k, ())) for k in kinds)


def _is_null(schema: Any) -> bool:
    return isinstance(schema, Mapping) and schema.get("type") == "null" and len(schema) == 1


def _type_of(schema: Mapping[str, Any]) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if k != "null"] or kind
        kind = kinds[0] if kinds else None
    if isinstance(kind, str):
        return kind
    keys = set(schema)
    if keys & {"properties", "additionalProperties", "required", "patternProperties"}:
        return "object"
    if keys & {"items", "prefixItems", "minItems", "maxItems"}:
        return "array"
    if keys & {"pattern", "format", "minLength", "maxLength"}:
        return "string"
    if keys & {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"}:
        return "number"
    return "any"


def _merge(*schemas: Any) -> dict[str, Any]:
    """The schemas of an ``allOf``, as one (properties and required lists combined)."""
    merged: dict[str, Any] = {}
    for schema in schemas:
        if not isinstance(schema, Mapping):
            continue
        for key, value in schema.items():
            if key == "properties" and key in merged:
                properties = dict(merged[key])
                for name, subschema in value.items():
                    if name in properties and properties[name] != subschema:
                        properties[name] = {"allOf": [properties[name], subschema]}
                    else:
                        properties[name] = subschema
                merged[key] = properties
            elif key == "required" and key in merged:
                merged[key] = [*merged[key], *(n for n in value if n not in merged[key])]
            elif key == "type" and key in merged:
                # every part must hold: only the types all of them allow (a part may narrow a
                # property to "null")
                before = merged[key] if isinstance(merged[key], list) else [merged[key]]
                now = value if isinstance(value, list) else [value]
                both = [
                    kind
                    for kind in before
                    if kind in now or (kind == "integer" and "number" in now)
                ]
                both += [k for k in now if k == "integer" and "number" in before and k not in both]
                merged[key] = both if len(both) != 1 else both[0]
            elif key not in merged:
                merged[key] = value
    return merged


def _text(hint: str, variant: int) -> str:
    return f"{hint or 'text'}{variant or ''}"


def _string(schema: Mapping[str, Any], hint: str, variant: int) -> str:
    low = int(schema.get("minLength", 0))
    high = int(schema.get("maxLength", 1 << 30))
    if schema.get("format") in _FORMATS:
        return _FORMATS[schema["format"]]
    if schema.get("contentEncoding") == "base64":
        return base64.b64encode(_text(hint, variant).encode()).decode()
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        try:
            return matching(pattern, low, high, variant)
        except NoMatch as exc:
            raise _CannotBuild(str(exc)) from None
    text = _text(hint, variant)
    if len(text) < low:
        text += "x" * (low - len(text))
    return text[:high]


def _bounds(schema: Mapping[str, Any]) -> tuple[float, float, bool, bool]:
    """(low, high, low is exclusive, high is exclusive); infinite when unbounded."""

    def number(key: str) -> float | None:
        value = schema.get(key)
        return value if isinstance(value, int | float) and not isinstance(value, bool) else None

    low, high = -math.inf, math.inf
    low_open = high_open = False
    if (minimum := number("minimum")) is not None:
        low = minimum
    if (above := number("exclusiveMinimum")) is not None and above >= low:
        low, low_open = above, True
    if (maximum := number("maximum")) is not None:
        high = maximum
    if (below := number("exclusiveMaximum")) is not None and below <= high:
        high, high_open = below, True
    return low, high, low_open, high_open


def _fits(value: float, schema: Mapping[str, Any]) -> bool:
    low, high, low_open, high_open = _bounds(schema)
    above = value > low if low_open else value >= low
    below = value < high if high_open else value <= high
    multiple = schema.get("multipleOf")
    if isinstance(multiple, int | float) and multiple > 0:
        ratio = value / multiple
        if abs(ratio - round(ratio)) > 1e-9:
            return False
    return above and below


def _integer(schema: Mapping[str, Any], variant: int) -> int:
    low, high, _, _ = _bounds(schema)
    multiple = schema.get("multipleOf")
    step = int(multiple) if isinstance(multiple, int) and multiple > 0 else 1
    candidates = [1 + variant, step * (1 + variant)]
    if math.isfinite(low):
        start = math.floor(low)
        candidates += [start + i for i in range(0, 3 * step + variant + 2)]
    if math.isfinite(high):
        end = math.ceil(high)
        candidates += [end - i for i in range(0, 3 * step + variant + 2)]
    for candidate in candidates:
        if _fits(candidate, schema):
            return candidate
    raise _CannotBuild("no integer within the bounds")


def _number(schema: Mapping[str, Any], variant: int) -> float | int:
    low, high, _, _ = _bounds(schema)
    candidates: list[float] = [1.5 + variant]
    if math.isfinite(low) and math.isfinite(high):
        candidates.append(low + (high - low) / 2)
    if math.isfinite(low):
        candidates.append(low + 1 + variant)
    if math.isfinite(high):
        candidates.append(high - 1 - variant)
    multiple = schema.get("multipleOf")
    if isinstance(multiple, int | float) and multiple > 0:
        base = math.ceil(low / multiple) if math.isfinite(low) else 1
        candidates = [multiple * (base + i) for i in range(0, 4 + variant)]
    for candidate in candidates:
        if _fits(candidate, schema):
            return candidate
    raise _CannotBuild("no number within the bounds")


def py_literal(value: Any) -> str:
    """A Python expression equal to a JSON value (strings through ``py_str``: data only)."""
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, int):
        return repr(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else f"float({str(value)!r})"
    if isinstance(value, str):
        return py_str(value)
    if isinstance(value, list):
        return "[" + ", ".join(py_literal(v) for v in value) + "]"
    if isinstance(value, Mapping):
        items = (f"{py_str(str(k))}: {py_literal(v)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    raise TypeError(f"not a JSON value: {value!r}")
