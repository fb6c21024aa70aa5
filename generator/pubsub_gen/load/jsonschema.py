"""JSON Schema topics: checking the documents and rendering their Pydantic v2 models.

Models come from datamodel-code-generator used in-process. Its start-up and per-run set-up cost far
more than one more schema, so every topic of a run goes through ONE call in its directory mode.
Before the call each document is copied and normalised (root title, enums, defaults) so that the
library's output already has the shape we want; after it, only the library's header is removed.
"""

from __future__ import annotations

import ast
import functools
import io
import json
import re
import tempfile
import textwrap
import tokenize
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from pubsub_gen import naming
from pubsub_gen.errors import SchemaError, SchemaProblem, json_pointer
from pubsub_gen.load.jsonwiden import widen


@dataclass(frozen=True)
class JsonSchemaInput:
    """One JSON Schema topic to render."""

    key: str  # the topic's module name (unique per run)
    path: Path  # the file on disk
    display_path: str  # the path as shown in errors and headers
    document: Mapping[str, Any]  # parsed JSON
    root_class: str  # class name the payload model must get


@dataclass(frozen=True)
class JsonSchemaModels:
    """The rendered models of one topic: source without header, ready to sit under ours."""

    source: str
    root_class: str
    class_names: tuple[str, ...]


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
_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
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
# The first line of every module the library writes; removed again (GEN writes our header).
_MARKER = "# pubsub-gen: jsonschema models"
# Longest piece of a string literal taken from a schema (line length 100 leaves room for code).
_PIECE = 60


def _problem(display_path: str, pointer: tuple[str | int, ...], message: str) -> SchemaProblem:
    return SchemaProblem(Path(display_path), json_pointer(*pointer), message)


def _short(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _draft(document: Mapping[str, Any]) -> str | None:
    uri = document.get("$schema", "https://json-schema.org/draft/2020-12/schema")
    if not isinstance(uri, str):
        return None
    return _DRAFTS.get(uri.split("://", 1)[-1].rstrip("#"))


def _subschemas(
    node: Any, pointer: tuple[str | int, ...]
) -> Iterator[tuple[Any, tuple[str | int, ...]]]:
    """Every schema inside ``node`` (itself first), with its pointer; children are read lazily."""
    yield node, pointer
    if not isinstance(node, dict):
        return
    for key in _SCHEMA_MAPS:
        if isinstance(node.get(key), dict):
            for name, child in node[key].items():
                yield from _subschemas(child, (*pointer, key, name))
    for key in (*_SCHEMA_LISTS, "items"):
        if isinstance(node.get(key), list):
            for index, child in enumerate(node[key]):
                yield from _subschemas(child, (*pointer, key, index))
    for key in _SCHEMA_VALUES:
        if isinstance(node.get(key), dict | bool):
            yield from _subschemas(node[key], (*pointer, key))


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
        for node, _ in _subschemas(document, ())
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
    from pubsub_runtime._jsonschema_codec import compile_validator

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
    from pubsub_runtime._jsonschema_codec import compile_validator

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
    for key in _SCHEMA_MAPS:
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


def _default_problem(document: Mapping[str, Any], node: dict[str, Any]) -> str | None:
    """A default the schema itself rejects would be written as a wrongly typed attribute."""
    default, target = node["default"], node
    if _has_object(default):
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
    for pointer, message in _validator_problems(document, _draft(document) or "2020-12"):
        problem = _problem(display_path, pointer, message)
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
    validator_class = classes.get(_draft(document) or "", latest)  # each draft by its own
    if certainly_valid(document, validator_class):
        return []  # the common case, decided about 20 times faster
    validator = validator_class(validator_class.META_SCHEMA)
    found = []
    for error in validator.iter_errors(document):
        best = exceptions.best_match([error])
        message = best.message if len(best.message) <= 200 else best.message[:199] + "…"
        found.append(_problem(display_path, tuple(best.absolute_path), message))
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
            _problem(
                display_path, (), f"not a JSON Schema: the top level is a {kind}, not an object"
            )
        ]
    if "fields" in document or "symbols" in document or document.get("type") in ("record", "fixed"):
        return [
            _problem(display_path, (), "this is an Avro schema: save it with the .avsc extension")
        ]
    draft = _draft(document)
    if draft is None:
        message = (
            f"unsupported JSON Schema draft {_short(document.get('$schema'))}; "
            "use draft-04, draft-06, draft-07, 2019-09 or 2020-12"
        )
        return [_problem(display_path, ("$schema",), message)]

    if not _KEYWORDS & document.keys():
        return [_problem(display_path, (), "no schema at the top level: no JSON Schema keyword")]
    problems: list[SchemaProblem] = []
    root = dict(document)
    nested = _has_ids(root)
    for node, pointer in _subschemas(root, ()):
        if isinstance(node, bool):
            continue
        if not isinstance(node, dict):
            problems.append(
                _problem(display_path, pointer, "a schema must be an object or a boolean")
            )
            continue
        for key, message in _keyword_problems(node, draft):
            problems.append(_problem(display_path, (*pointer, key), message))
        if "$ref" in node and (bad_ref := _ref_problem(root, node["$ref"], nested)) is not None:
            problems.append(_problem(display_path, (*pointer, "$ref"), bad_ref))
    if not metaschema:
        return sorted(set(problems))
    ours = [p.pointer for p in problems]
    for extra in metaschema_problems(display_path, document):
        if not any(_overlaps(extra.pointer, pointer) for pointer in ours):
            problems.append(extra)
    return sorted(set(problems))


# ---------------------------------------------------------------------------------------------
# Rendering


def _has_object(value: Any) -> bool:
    if isinstance(value, dict):
        return True
    return isinstance(value, list) and any(_has_object(item) for item in value)


def _string_enum(node: dict[str, Any]) -> list[str] | None:
    """The string values of an enum of strings (possibly with null), else None."""
    values = node.get("enum")
    kind = node.get("type", "string")
    kinds = set(kind) if isinstance(kind, list) else {kind}
    if not isinstance(values, list) or not kinds <= {"string", "null"}:
        return None
    strings = [v for v in values if v is not None]
    return strings if strings and all(isinstance(v, str) for v in strings) else None


def _normalise(document: Mapping[str, Any], node: dict[str, Any]) -> None:
    """Reshape one schema (in a private copy) so that the library renders what we want."""
    # JSON Schema defaults only annotate (the codec never writes them into a message). An
    # object-valued one would be a dict assigned to a model-typed attribute, which mypy
    # rejects, and one the schema itself rejects would be a wrongly typed attribute: the model
    # leaves both out.
    if "default" in node and (
        _has_object(node["default"]) or _default_problem(document, node) is not None
    ):
        del node["default"]
    strings = _string_enum(node)
    if strings is None:
        return
    names = _member_names(node, strings)
    if len(strings) == len(node["enum"]):
        node["type"] = "string"  # an untyped enum of strings would become a plain Enum
        node.update(names)
    else:  # a nullable enum: StrEnum | None rather than an Enum with a None member
        del node["enum"]
        node.pop("type", None)
        node["anyOf"] = [{"type": "string", "enum": strings, **names}, {"type": "null"}]


def _member_names(node: dict[str, Any], strings: list[str]) -> dict[str, Any]:
    """Member names by our rules (as for Avro enums: UPPER_SNAKE, never ``O``, ``I``, ``l``),
    unless the schema names them itself."""
    if "x-enum-varnames" in node or "x-enumNames" in node:
        return {}
    taken: set[str] = set()
    return {"x-enum-varnames": [naming.unique(naming.enum_member_name(v), taken) for v in strings]}


def _nullable_definitions(document: dict[str, Any]) -> None:
    """A nullable enum definition becomes a plain one, and each reference to it nullable.

    Left alone it would render as a RootModel around an enum named ``<Name>1``.
    """
    pointers = set()
    for key in ("$defs", "definitions"):
        definitions = document.get(key)
        for name, node in definitions.items() if isinstance(definitions, dict) else ():
            strings = _string_enum(node) if isinstance(node, dict) else None
            if strings is not None and len(strings) < len(node["enum"]):
                node.update(type="string", enum=strings)
                pointers.add(json_pointer(key, name))
    nodes = [node for node, _ in _subschemas(document, ()) if isinstance(node, dict)]
    for node in nodes:
        ref = node.get("$ref")
        if isinstance(ref, str) and unquote(ref[1:]) in pointers and "anyOf" not in node:
            node["anyOf"] = [{"$ref": node.pop("$ref")}, {"type": "null"}]


def _prepare(item: JsonSchemaInput) -> dict[str, Any]:
    """A normalised copy of the document whose root model gets the name ``root_class``."""
    document = widen(item.document, _draft(item.document) or "2020-12", f"{item.root_class}Object")
    if "enum" in document:
        # A model must wrap a top-level enum: the enum moves to a definition.
        defs_key = "definitions" if "definitions" in document else "$defs"
        definitions = document.setdefault(defs_key, {})
        enum_name = naming.unique(f"{item.root_class}Enum", set(definitions))
        keep = {"$schema", "$defs", "definitions", "title", "description"}
        definitions[enum_name] = {k: document.pop(k) for k in list(document) if k not in keep}
        document["$ref"] = f"#/{defs_key}/{enum_name}"
    _nullable_definitions(document)
    for node, _ in _subschemas(document, ()):
        if isinstance(node, dict):
            _normalise(document, node)
    document["title"] = item.root_class
    return document


def _property_names(document: Any) -> set[str]:
    names: set[str] = set()
    for node, _ in _subschemas(document, ()):
        if isinstance(node, dict) and isinstance(node.get("properties"), dict):
            names.update(node["properties"])
    return names


def _root_clashes(item: JsonSchemaInput, roots: set[str]) -> Iterator[SchemaProblem]:
    """Definitions whose class would take the payload's name (the library renames the root)."""
    for key in ("$defs", "definitions"):
        definitions = item.document.get(key)
        for name in definitions if isinstance(definitions, Mapping) else ():
            if _class_name(name, roots) == item.root_class:
                message = (
                    f"definition {name!r} would get the class name {item.root_class!r} of the "
                    "topic's payload model; rename the definition or the payload model"
                )
                yield _problem(item.display_path, (key, name), message)


def _class_name(name: str, roots: set[str]) -> str:
    return name if name in roots else naming.class_name(name)


def _generate(folder: Path, items: Sequence[JsonSchemaInput]) -> tuple[dict[str, str], set[str]]:
    """One datamodel-codegen run over ``folder``: module key -> code, and the class names asked
    for (before the library's numbering of duplicates)."""
    from datamodel_code_generator import generate
    from datamodel_code_generator.enums import DataModelType, DefaultValueType, InputFileType
    from datamodel_code_generator.format import PythonVersion

    roots = {item.root_class for item in items}
    # naming decides every attribute name (the library's own rules differ: `self`, `_x`, `über`).
    aliases: dict[str, str] = {}
    for item in items:  # the caller runs a topic whose names collide in a batch of its own
        aliases.update(_attribute_names(item.document))
    asked: set[str] = set()

    def name_class(name: str) -> str:
        chosen = _class_name(name, roots)
        asked.add(chosen)
        return chosen

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = generate(
            folder,
            input_file_type=InputFileType.JsonSchema,
            output_model_type=DataModelType.PydanticV2BaseModel,
            target_python_version=PythonVersion.PY_311,
            custom_file_header=_MARKER,
            disable_timestamp=True,
            formatters=[],  # GEN's single ruff pass sorts imports and formats everything
            settings_path=folder,  # never read the caller's pyproject.toml
            snake_case_field=True,
            aliases={wire: name for wire, name in aliases.items() if wire != name},  # else noisy
            allow_population_by_field_name=True,
            custom_class_name_generator=name_class,
            treat_dot_as_module=False,
            collapse_root_models=True,
            use_annotated=True,
            extra_fields="allow",  # undeclared properties the schema allows are kept
            field_constraints=True,
            use_standard_collections=True,
            use_union_operator=True,
            use_subclass_enum=True,
            capitalise_enum_members=True,
            deserialize_default_values=(DefaultValueType.Enum,),
            strict_nullable=True,
            use_schema_description=True,
            allow_remote_refs=False,
        )
    if isinstance(result, str):  # one module only
        return {items[0].key: result}, asked
    assert isinstance(result, Mapping), "datamodel-codegen wrote files instead of returning code"
    modules = {Path(*p).stem: code for p, code in result.items() if p[-1] != "__init__.py"}
    return modules, asked


def _attribute_names(document: Any) -> dict[str, str]:
    """Attribute name by wire name. Wire names that sanitise to one name (``+1`` and ``-1``)
    get distinct ones, numbered in the order of the wire names (aliases keep the wire names)."""
    wires = sorted(_property_names(document))
    names = {wire: naming.attribute_name(wire) for wire in wires}
    taken = set(names.values())
    seen: set[str] = set()
    for wire in wires:
        name = names[wire]
        if name in seen:
            n = 2
            while f"{name}_{n}" in taken:
                n += 1
            names[wire] = f"{name}_{n}"
            taken.add(names[wire])
        seen.add(name)
    return names


def _has_collisions(document: Any) -> bool:
    names = _attribute_names(document)
    return any(name != naming.attribute_name(wire) for wire, name in names.items())


def _run(items: Sequence[JsonSchemaInput], workdir: Path) -> tuple[dict[str, str], set[str]]:
    """Render ``items``: one library run for all, plus one per topic whose wire names collide
    (the library's aliases are by wire name, so those names must not meet another topic's)."""
    alone = [item for item in items if _has_collisions(item.document)]
    batches = [[item for item in items if item not in alone], *([item] for item in alone)]
    modules: dict[str, str] = {}
    asked: set[str] = set()
    for index, batch in enumerate(b for b in batches if b):
        folder = workdir / f"schemas{index}"
        folder.mkdir()
        for item in batch:
            text = json.dumps(_prepare(item), ensure_ascii=False, indent=1)
            (folder / f"{item.key}.json").write_text(text, encoding="utf-8")
        found, names = _generate(folder, batch)
        modules.update(found)
        asked |= names
    return modules, asked


def _blame(items: Sequence[JsonSchemaInput], error: Exception) -> list[SchemaProblem]:
    """After a failed batch, find the inputs that fail alone (the batch hides which one did)."""
    failures = []
    for item in items:
        try:
            with tempfile.TemporaryDirectory(prefix="pubsub-gen-") as workdir:
                _run([item], Path(workdir))
        except Exception as alone:  # the library raises many types; each becomes a problem
            failures.append((item, alone))
    failures = failures or [(item, error) for item in items]
    return [
        _problem(item.display_path, (), f"cannot generate models: {_without_workdir(exc)}")
        for item, exc in failures
    ]


def _without_workdir(error: Exception) -> str:
    """The library's message, without the random temporary folder it may name."""
    return re.sub(
        r"\S*pubsub-gen-[^/\\\s]+[/\\]schemas[0-9]*[/\\]", "", " ".join(str(error).split())
    )


def _escape(char: str) -> str:
    """One character inside a double-quoted literal, ASCII only (ruff RUF001-RUF003)."""
    if char in '\\"':
        return "\\" + char
    return char if " " <= char <= "~" else ascii(char)[1:-1]


def _string_literal(value: str) -> str:
    """A literal for schema text: escaped, and split in pieces when long (ruff E501)."""
    pieces: list[str] = []
    piece = ""
    for char in value:
        if len(piece) >= _PIECE:
            pieces.append(piece)
            piece = ""
        piece += _escape(char)
    literals = [f'"{p}"' for p in [*pieces, piece]]
    return literals[0] if len(literals) == 1 else "(" + " ".join(literals) + ")"


def _docstring_literal(value: str) -> str:
    """A docstring with the same text: escaped, long lines wrapped at spaces."""
    lines: list[str] = []
    for line in value.split("\n"):
        indent = line[: len(line) - len(line.lstrip(" "))]
        text = "".join(_escape(char) for char in line[len(indent) :])
        wrapped = textwrap.wrap(text, 96 - len(indent), break_long_words=False) or [""]
        lines.extend(indent + part if part else "" for part in wrapped)
    lines[-1] = lines[-1] or value.rsplit("\n", 1)[-1]  # the closing quotes keep their indent
    return '"""' + "\n".join(lines) + '"""'


def _lint_safe(source: str) -> str:
    """Re-spell the string literals that would break ``ruff check`` (long, non-ASCII)."""
    offsets = [0]
    for line in source.split("\n"):  # tokenize counts lines at "\n" only
        offsets.append(offsets[-1] + len(line) + 1)
    edits = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type != tokenize.STRING:
            continue
        value = ast.literal_eval(token.string)
        docstring = token.string.startswith(('"""', "'''"))
        lines = token.string.split("\n")
        short = all(len(line) <= 96 and line.isprintable() for line in lines)
        if docstring and short and token.string.isascii():
            continue
        if (
            not docstring
            and len(token.string) <= _PIECE
            and value.isascii()
            and value.isprintable()
        ):
            continue
        literal = _docstring_literal(value) if docstring else _string_literal(value)
        start = offsets[token.start[0] - 1] + token.start[1]
        edits.append((start, offsets[token.end[0] - 1] + token.end[1], literal))
    for start, end, literal in reversed(edits):
        source = source[:start] + literal + source[end:]
    return source


def _tidy(code: str) -> str:
    lines = code.split("\n")
    if lines[0].strip() != _MARKER:
        raise RuntimeError(f"unexpected datamodel-codegen header: {lines[0]!r}")
    source = "\n".join(lines[1:]).strip("\n") + "\n"
    # Typed extras come as ``Dict[...]`` (ruff UP006); the unused import goes in GEN's ruff pass.
    source = source.replace("'__pydantic_extra__': Dict[", "'__pydantic_extra__': dict[")
    return _lint_safe(source)


_NUMBERED = re.compile(r"(.+?)([0-9]+)")


def _renumbered(source: str, asked: set[str]) -> str:
    """Number a module's duplicate class names 1, 2... in the module's own order.

    The library numbers duplicates (``Address``, ``Address1``) across the whole batch, so a
    topic's classes would be renamed when another topic gains a class of the same name.
    """
    classes = [node.name for node in ast.parse(source).body if isinstance(node, ast.ClassDef)]
    numbered = {}
    for name in classes:
        match = _NUMBERED.fullmatch(name)
        if name not in asked and match is not None and match[1] in classes:
            numbered[name] = match[1]  # not a name of the schema's own: a numbered duplicate
    kept = set(classes) - numbered.keys()
    renames: dict[str, str] = {}
    for name, base in numbered.items():
        n = 1
        while f"{base}{n}" in kept or f"{base}{n}" in renames.values():
            n += 1
        renames[name] = f"{base}{n}"
    renames = {old: new for old, new in renames.items() if old != new}
    if not renames:
        return source
    offsets = [0]
    for line in source.split("\n"):  # tokenize counts lines at "\n" only
        offsets.append(offsets[-1] + len(line) + 1)
    edits = [
        (offsets[token.start[0] - 1] + token.start[1], len(token.string), renames[token.string])
        for token in tokenize.generate_tokens(io.StringIO(source).readline)
        if token.type == tokenize.NAME and token.string in renames
    ]
    for start, length, name in reversed(edits):
        source = source[:start] + name + source[start + length :]
    return source


def render_jsonschema_models(inputs: Sequence[JsonSchemaInput]) -> dict[str, JsonSchemaModels]:
    """Models of every input, keyed by ``key``, from one datamodel-codegen run.

    Raises ``SchemaError`` for problems only rendering finds (a definition taking the payload
    model's name, or anything the library refuses); ``check_jsonschema`` runs first.
    """
    if not inputs:
        return {}
    keys = [item.key for item in inputs]
    if len(set(keys)) != len(keys) or not all(key.isidentifier() for key in keys):
        raise ValueError(f"input keys must be unique identifiers: {keys}")
    roots = {item.root_class for item in inputs}
    clashes = [problem for item in inputs for problem in _root_clashes(item, roots)]
    if clashes:
        raise SchemaError(clashes)
    try:
        with tempfile.TemporaryDirectory(prefix="pubsub-gen-") as workdir:
            modules, asked = _run(inputs, Path(workdir))
    except Exception as error:  # the library raises many types; report per schema
        raise SchemaError(_blame(inputs, error)) from error
    rendered, problems = {}, []
    for item in inputs:
        source = _renumbered(_tidy(modules[item.key]), asked)
        tree = ast.parse(source)
        names = tuple(node.name for node in tree.body if isinstance(node, ast.ClassDef))
        imported = {
            alias.asname or alias.name
            for node in tree.body
            if isinstance(node, ast.ImportFrom)
            for alias in node.names
        }
        # The library renames a class that would shadow an import; the payload must keep its name.
        shadowing = imported.intersection(names) | (imported & {item.root_class} - set(names))
        for name in sorted(shadowing):
            message = (
                f"the class {name!r} would shadow an import of the models; choose another name"
            )
            problems.append(_problem(item.display_path, (), message))
        if item.root_class not in names and item.root_class not in imported:
            message = (
                f"datamodel-code-generator wrote no class {item.root_class!r} for the payload "
                "(it folds a root that is only a union referenced from inside itself, '$ref: #', "
                "into its members); give the root 'type': 'object' or move it under $defs"
            )
            problems.append(_problem(item.display_path, (), message))
        rendered[item.key] = JsonSchemaModels(source, item.root_class, names)
    if problems:
        raise SchemaError(problems)
    return rendered
