"""JSON Schema topics: checking the documents, each problem one line with its JSON pointer.

``check_jsonschema`` finds what the models or the run-time validator could not work with;
``metaschema_problems`` checks a document against its draft's metaschema. The helpers that
walk a document (``subschemas``, ``draft_of``, ``default_problem``...) serve
``load.jsonmodels`` too.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from pubsub_gen.errors import SchemaProblem, json_pointer

# `$schema` values we accept, without scheme and trailing '#'. Absent means the latest draft.
_DRAFTS = {
    "json-schema.org/draft-04/schema": "4",
    "json-schema.org/draft-06/schema": "6",
    "json-schema.org/draft-07/schema": "7",
    "json-schema.org/draft/2019-09/schema": "2019-09",
    "json-schema.org/draft/2020-12/schema": "2020-12",
    "json-schema.org/schema": "2020-12",  # no draft number: the latest, as when absent
}
_TYPES = frozenset({"string", "integer", "number", "boolean", "object", "array", "null"})
# Every keyword of the drafts read: a document with none of them is not a schema (sample data).
_KEYWORDS = frozenset(
    {"$schema", "$id", "$ref", "$defs", "definitions", "$anchor", "$dynamicRef"}
    | {"type", "enum", "const", "properties", "patternProperties", "additionalProperties"}
    | {"required", "items", "prefixItems", "additionalItems", "contains", "allOf", "anyOf"}
    | {"oneOf", "not", "if", "then", "else", "format", "pattern", "minLength", "maxLength"}
    | {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minItems"}
    | {"maxItems", "uniqueItems", "minProperties", "maxProperties", "propertyNames"}
    | {"dependentRequired", "dependentSchemas", "dependencies", "unevaluatedProperties"}
    | {"unevaluatedItems", "title", "description", "default"}
)
SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_SCHEMA_VALUES = (
    "additionalProperties",
    "items",
    "additionalItems",
    "contains",
    "not",
    "if",
    "then",
    "else",
    "propertyNames",
    "unevaluatedProperties",
    "unevaluatedItems",
)
_COUNTS = (
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "minProperties",
    "maxProperties",
    "minContains",
    "maxContains",
)
_NUMBERS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")
_STRINGS = ("title", "description", "format", "pattern", "$comment")


def schema_problem(
    display_path: str, pointer: tuple[str | int, ...], message: str
) -> SchemaProblem:
    return SchemaProblem(Path(display_path), json_pointer(*pointer), message)


def _short(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def draft_of(document: Mapping[str, Any]) -> str | None:
    uri = document.get("$schema", "https://json-schema.org/draft/2020-12/schema")
    if not isinstance(uri, str):
        return None
    return _DRAFTS.get(uri.split("://", 1)[-1].rstrip("#"))


def subschemas(
    node: Any, pointer: tuple[str | int, ...]
) -> Iterator[tuple[Any, tuple[str | int, ...]]]:
    """Every schema inside ``node`` (itself first), with its pointer; children are read lazily."""
    yield node, pointer
    if not isinstance(node, dict):
        return
    for key in SCHEMA_MAPS:
        if isinstance(node.get(key), dict):
            for name, child in node[key].items():
                yield from subschemas(child, (*pointer, key, name))
    for key in (*_SCHEMA_LISTS, "items"):
        if isinstance(node.get(key), list):
            for index, child in enumerate(node[key]):
                yield from subschemas(child, (*pointer, key, index))
    for key in _SCHEMA_VALUES:
        if isinstance(node.get(key), dict | bool):
            yield from subschemas(node[key], (*pointer, key))


def _resolve(document: Mapping[str, Any], fragment: str) -> tuple[bool, Any]:
    """Follow a JSON pointer fragment (``/$defs/A``) through ``document``."""
    node: Any = document
    for raw in fragment.split("/")[1:]:
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return False, None
    return True, node


def _ref_problem(document: Mapping[str, Any], ref: Any, has_ids: bool) -> str | None:
    """What is wrong with a ``$ref``, said at its place.

    With ``$id``s, a reference may name one of them or be relative to one: then only the
    validator (which resolves them) decides whether the target exists.
    """
    if not isinstance(ref, str):
        return "$ref must be a string"
    if not ref.startswith("#"):
        if has_ids or ref.rstrip("#") in {uri.rstrip("#") for uri in _METASCHEMAS.values()}:
            return None  # relative to a nested $id, or a draft's metaschema (bundled)
        return (
            f"$ref {ref!r} points outside this file; external references are not supported: "
            "copy the definition under $defs (or definitions before 2019-09)"
        )
    fragment = unquote(ref[1:])
    if has_ids or (not fragment.startswith("/") and fragment):
        return None  # an anchor: the validator looks it up
    found, target = _resolve(document, fragment)
    if not found:
        return f"dangling $ref {ref!r}: nothing is defined at {fragment}"
    if not isinstance(target, dict | bool):
        return f"$ref {ref!r} does not point at a schema"
    if not fragment and "properties" not in document and document.get("type") != "object":
        return "a $ref to the root ('#') needs an object schema at the root"
    seen = [ref]
    while isinstance(target, dict) and isinstance(target.get("$ref"), str):
        if target["$ref"] in seen:  # a chain of references that never reaches a schema
            return f"$ref cycle: {' -> '.join([*seen, target['$ref']])}"
        seen.append(target["$ref"])
        if not target["$ref"].startswith("#/"):
            return None
        found, target = _resolve(document, unquote(target["$ref"][1:]))
    return None


def _has_ids(document: Mapping[str, Any]) -> bool:
    """Whether a ``$id`` (draft 4: ``id``) gives any schema of the document a base URI."""
    return any(
        isinstance(node, dict) and ("$id" in node or isinstance(node.get("id"), str))
        for node, _ in subschemas(document, ())
    )


_METASCHEMAS = {
    "4": "http://json-schema.org/draft-04/schema#",
    "6": "http://json-schema.org/draft-06/schema#",
    "7": "http://json-schema.org/draft-07/schema#",
    "2019-09": "https://json-schema.org/draft/2019-09/schema",
    "2020-12": "https://json-schema.org/draft/2020-12/schema",
}


@functools.cache
def _meta_validator(draft: str) -> Any:
    """jsonschema-rs checking a document against its draft's metaschema (bundled, offline),
    formats asserted (a ``pattern`` must be a regular expression it can run)."""
    from pubsub_runtime._codecs.jsonschema import compile_validator

    return compile_validator({"$schema": _METASCHEMAS[draft], "$ref": _METASCHEMAS[draft]})


def _validator_problems(
    document: Mapping[str, Any], draft: str
) -> list[tuple[tuple[str | int, ...], str]]:
    """(pointer, message) of why the topic's run-time validator would refuse this schema."""
    found = [
        (tuple(error.instance_path), " ".join(str(error.message).split()))
        for error in _meta_validator(draft).iter_errors(document)
    ]
    if found:
        return found
    from pubsub_runtime._codecs.jsonschema import compile_validator

    try:
        compile_validator(document)
    except Exception as exc:  # jsonschema-rs: its message's first line says what is wrong
        lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
        return [((), f"the schema cannot be compiled: {lines[0] if lines else exc!r}")]
    return []


def _keyword_problems(node: dict[str, Any], draft: str) -> Iterator[tuple[str, str]]:
    """(keyword, message) for values of the keywords the models rely on that are malformed."""
    kind = node.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    if "type" in node and (
        not kinds or any(k not in _TYPES for k in kinds) or len(set(map(str, kinds))) < len(kinds)
    ):
        yield "type", f"type must be one of {sorted(_TYPES)} or a list of them, not {_short(kind)}"
    for key in _COUNTS:
        value = node.get(key, 0)
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # JSON Schema: 2.0 is an integer
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            yield key, f"{key} must be a non-negative integer, not {_short(value)}"
    for key in _NUMBERS:
        value = node.get(key, 1)
        if draft == "4" and key.startswith("exclusive") and isinstance(value, bool):
            continue  # draft 4: a flag on minimum/maximum
        if isinstance(value, bool) or not isinstance(value, int | float):
            yield key, f"{key} must be a number, not {_short(value)}"
        elif key == "multipleOf" and value <= 0:
            yield key, "multipleOf must be greater than 0"
    for key in _STRINGS:
        if key in node and not isinstance(node[key], str):
            yield key, f"{key} must be a string, not {_short(node[key])}"
    for key in SCHEMA_MAPS:
        if key in node and not isinstance(node[key], dict):
            yield key, f"{key} must be an object of schemas"
    for key in _SCHEMA_LISTS:
        if key in node and not (isinstance(node[key], list) and node[key]):
            yield key, f"{key} must be a non-empty array of schemas"
    for key in _SCHEMA_VALUES:
        value = node.get(key, True)
        if not isinstance(value, dict | bool) and not (key == "items" and isinstance(value, list)):
            yield key, f"{key} must be a schema (an object or a boolean)"
    required = node.get("required", [])
    if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
        yield "required", "required must be an array of property names"
    if "enum" in node and not (isinstance(node["enum"], list) and node["enum"]):
        yield "enum", "enum must be a non-empty array"


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
    "array": (list,),
    "object": (dict,),
}


def _is_json_type(value: Any, kind: Any) -> bool:
    if isinstance(value, bool) and kind in ("integer", "number"):
        return False
    return isinstance(value, _JSON_TYPES.get(kind, ()))


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def default_problem(document: Mapping[str, Any], node: dict[str, Any]) -> str | None:
    """A default the schema itself rejects would be written as a wrongly typed attribute."""
    default, target = node["default"], node
    if has_object(default):
        return None  # left out when rendering
    for _ in range(16):  # follow $ref to the schema that says what the value is
        ref = target.get("$ref")
        if not isinstance(ref, str) or {"type", "enum", "const"} & target.keys():
            break
        found, target = _resolve(document, unquote(ref[1:]))
        if not found or not isinstance(target, dict):
            return None
    text = _short(default)
    values = target.get("enum")
    if isinstance(values, list) and not any(_same(default, value) for value in values):
        return f"default {text} is not one of the enum values"
    if "const" in target and not _same(default, target["const"]):
        return f"default {text} differs from const"
    kind = target.get("type")
    kinds = kind if isinstance(kind, list) else [kind] if isinstance(kind, str) else []
    if kinds and not any(_is_json_type(default, k) for k in kinds):
        return f"default {text} is not of type {' or '.join(map(str, kinds))}"
    return None


def metaschema_problems(display_path: str, document: Mapping[str, Any]) -> list[SchemaProblem]:
    """Everything the draft's metaschema rejects, and what keeps the topic's run-time validator
    (jsonschema-rs) from compiling the schema (a regular expression it cannot run, a reference
    it cannot resolve). The metaschema's messages come from the ``jsonschema`` package when it
    is installed (they name the place best), else from jsonschema-rs."""
    found = _python_metaschema_problems(display_path, document)
    places = [problem.pointer for problem in found]
    for pointer, message in _validator_problems(document, draft_of(document) or "2020-12"):
        problem = schema_problem(display_path, pointer, message)
        if not any(_overlaps(problem.pointer, where) for where in places):
            found.append(problem)
    return found


def _python_metaschema_problems(
    display_path: str, document: Mapping[str, Any]
) -> list[SchemaProblem]:
    try:
        from jsonschema import exceptions, validators
    except ImportError:  # optional: jsonschema-rs checks the metaschema too
        return []
    from pubsub_gen.load.metaschema import certainly_valid

    latest = validators.Draft202012Validator
    classes = {
        "4": validators.Draft4Validator,
        "6": validators.Draft6Validator,
        "7": validators.Draft7Validator,
        "2019-09": validators.Draft201909Validator,
    }
    validator_class = classes.get(draft_of(document) or "", latest)  # each draft by its own
    if certainly_valid(document, validator_class):
        return []  # the common case, decided about 20 times faster
    validator = validator_class(validator_class.META_SCHEMA)
    found = []
    for error in validator.iter_errors(document):
        best = exceptions.best_match([error])
        message = best.message if len(best.message) <= 200 else best.message[:199] + "…"
        found.append(schema_problem(display_path, tuple(best.absolute_path), message))
    return found


def _overlaps(a: str, b: str) -> bool:
    return a == b or a.startswith(b + "/") or b.startswith(a + "/")


def check_jsonschema(
    display_path: str, document: Mapping[str, Any], *, metaschema: bool = True
) -> list[SchemaProblem]:
    """Every problem that would stop ``document`` from becoming models, one per place.

    ``metaschema=False`` leaves out the (slow) metaschema check: the caller runs
    ``metaschema_problems`` itself, and on any problem calls this again with it.
    """
    if not isinstance(document, Mapping):
        kind = type(document).__name__
        return [
            schema_problem(
                display_path, (), f"not a JSON Schema: the top level is a {kind}, not an object"
            )
        ]
    if "fields" in document or "symbols" in document or document.get("type") in ("record", "fixed"):
        return [
            schema_problem(
                display_path, (), "this is an Avro schema: save it with the .avsc extension"
            )
        ]
    draft = draft_of(document)
    if draft is None:
        message = (
            f"unsupported JSON Schema draft {_short(document.get('$schema'))}; "
            "use draft-04, draft-06, draft-07, 2019-09 or 2020-12"
        )
        return [schema_problem(display_path, ("$schema",), message)]

    if not _KEYWORDS & document.keys():
        return [
            schema_problem(display_path, (), "no schema at the top level: no JSON Schema keyword")
        ]
    problems: list[SchemaProblem] = []
    root = dict(document)
    nested = _has_ids(root)
    for node, pointer in subschemas(root, ()):
        if isinstance(node, bool):
            continue
        if not isinstance(node, dict):
            problems.append(
                schema_problem(display_path, pointer, "a schema must be an object or a boolean")
            )
            continue
        for key, message in _keyword_problems(node, draft):
            problems.append(schema_problem(display_path, (*pointer, key), message))
        if "$ref" in node and (bad_ref := _ref_problem(root, node["$ref"], nested)) is not None:
            problems.append(schema_problem(display_path, (*pointer, "$ref"), bad_ref))
    if not metaschema:
        return sorted(set(problems))
    ours = [p.pointer for p in problems]
    for extra in metaschema_problems(display_path, document):
        if not any(_overlaps(extra.pointer, pointer) for pointer in ours):
            problems.append(extra)
    return sorted(set(problems))


# ---------------------------------------------------------------------------------------------


def has_object(value: Any) -> bool:
    if isinstance(value, dict):
        return True
    return isinstance(value, list) and any(has_object(item) for item in value)
