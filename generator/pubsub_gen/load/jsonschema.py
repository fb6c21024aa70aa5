"""JSON Schema topics: checking the documents and building the IR of their Pydantic v2 models.

datamodel-code-generator interprets the schemas, used in-process: its parser decides the
classes, fields, types and references (``ir.JsonModels``); its text is never kept, nor parsed
back: each model is read from the context its template would have rendered. Its start-up and
per-run set-up cost far more than one more schema, so every topic of a run goes through ONE call
in its directory mode. Before the call each document is copied and normalised (root title,
enums, defaults) so that the library decides the shape we want.
"""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import functools
import io
import json
import re
import tempfile
import tokenize
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from pubsub_gen import ir, naming
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
    return {"x-enum-varnames": list(naming.enum_members(strings))}


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
    root_object = naming.json_root_object(item.root_class)
    document = widen(item.document, _draft(item.document) or "2020-12", root_object)
    if "enum" in document:
        # A model must wrap a top-level enum: the enum moves to a definition.
        defs_key = "definitions" if "definitions" in document else "$defs"
        definitions = document.setdefault(defs_key, {})
        enum_name = naming.json_root_enum(item.root_class, definitions)
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
            if naming.json_class(name, roots) == item.root_class:
                message = (
                    f"definition {name!r} would get the class name {item.root_class!r} of the "
                    "topic's payload model; rename the definition or the payload model"
                )
                yield _problem(item.display_path, (key, name), message)


_Captured = tuple[tuple[str, ...], "ir.ModelClass", frozenset[tuple[str, str]]]


def _imports_of(model: Any) -> frozenset[tuple[str, str]]:
    """(module, clause) of what a model of the library imports (``module`` empty: ``import x``)."""
    found = set()
    for item in model.imports:  # the fields' imports, then the model's own
        clause = item.import_ if item.alias is None else f"{item.import_} as {item.alias}"
        found.add((item.from_ or "", clause))
    return frozenset(found)


def _model_class(model: Any, context: Mapping[str, Any]) -> ir.ModelClass:
    """What the library would render for ``model``, read from its template context."""
    from datamodel_code_generator.model.enum import Enum as EnumModel
    from datamodel_code_generator.model.pydantic_v2.root_model import RootModel

    unsupported = [k for k in ("decorators", "methods", "class_body_lines") if context.get(k)]
    if unsupported:
        raise RuntimeError(f"datamodel-codegen model {model.class_name} needs {unsupported}")
    kind: ir.ClassKind = "model"
    if isinstance(model, EnumModel):
        kind = "enum"
    elif isinstance(model, RootModel):
        kind = "root"
    fields = []
    extra = None
    for field in context.get("fields", ()):
        if getattr(field, "use_pydantic_extra_annotations_dict", False):
            extra = field.pydantic_extra_type_hint
            continue
        if kind == "enum":
            fields.append(ir.ModelField(field.name, field.name, "", default=str(field.default)))
            continue
        required = bool(field.required)
        description, metadata, factory = None, [], None
        call = field._render_plan().call  # the library's Field() arguments, as values
        if call is not None:
            factory = None if call.factory is None else str(call.factory.value)
            for argument in call.kwargs:
                if argument.name == "description" and isinstance(argument.value, str):
                    description = argument.value
                elif argument.name != "alias":
                    json.dumps(argument.value)  # raises for what JSON cannot carry
                    metadata.append((argument.name, argument.value))
        fields.append(
            ir.ModelField(
                python_name=field.name,
                wire_name=field.alias or field.name,
                annotation=field.type_hint,
                required=required,
                default=None if required or factory else field.represented_default,
                default_factory=factory,
                doc=description,
                metadata=tuple(sorted(metadata)),
            )
        )
    return ir.ModelClass(
        name=context.get("class_name") or model.class_name,
        kind=kind,
        base=str(context.get("base_class") or ""),
        fields=tuple(fields),
        doc=model.description or None,
        config=tuple(context.get("config_items") or ()),
        extra_annotation=extra,
    )


@contextlib.contextmanager
def _capturing() -> Iterator[list[_Captured]]:
    """While active, the library's last step reads each model into the IR instead of rendering
    it to text. Only that step: earlier passes compare rendered models (duplicates)."""
    from datamodel_code_generator.model.base import DataModel
    from datamodel_code_generator.parser._passes import imports as last_step

    captured: list[_Captured] = []
    render_template = DataModel._render_template
    render_modules = last_step.render
    active = False

    def capture(self: Any, *args: Any, **kwargs: Any) -> str:
        if not active:
            return render_template(self, *args, **kwargs)
        captured.append((tuple(self.module_path), _model_class(self, kwargs), _imports_of(self)))
        return ""

    @functools.wraps(render_modules)  # the pipeline finds it by module and name
    def render(*args: Any, **kwargs: Any) -> None:
        nonlocal active
        active = True
        try:
            render_modules(*args, **kwargs)
        finally:
            active = False

    # The pipeline looks its passes up on their module when it runs them (``late``).
    DataModel._render_template = capture  # type: ignore[method-assign]
    last_step.render = render
    try:
        yield captured
    finally:
        DataModel._render_template = render_template  # type: ignore[method-assign]
        last_step.render = render_modules


def _generate(
    folder: Path, items: Sequence[JsonSchemaInput]
) -> tuple[dict[str, list[_Captured]], set[str]]:
    """One datamodel-codegen run over ``folder``: module key -> its models, and the class names
    asked for (before the library's numbering of duplicates)."""
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
        chosen = naming.json_class(name, roots)
        asked.add(chosen)
        return chosen

    with warnings.catch_warnings(), _capturing() as captured:
        warnings.simplefilter("ignore")
        generate(
            folder,
            input_file_type=InputFileType.JsonSchema,
            output_model_type=DataModelType.PydanticV2BaseModel,
            target_python_version=PythonVersion.PY_311,
            disable_timestamp=True,
            formatters=[],  # nothing of the library's text is kept: the models come as IR
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
    keys = {item.key for item in items}
    modules: dict[str, list[_Captured]] = {key: [] for key in keys}
    for entry in captured:
        module = entry[0]
        key = module[0] if module and module[0] in keys else items[0].key
        if len(items) > 1 and not (module and module[0] in keys):
            raise RuntimeError(f"datamodel-codegen wrote a model outside the topics: {module}")
        modules[key].append(entry)
    return modules, asked


def _attribute_names(document: Any) -> dict[str, str]:
    return naming.json_attributes(_property_names(document))


def _has_collisions(document: Any) -> bool:
    names = _attribute_names(document)
    return any(name != naming.attribute_name(wire) for wire, name in names.items())


def _run(
    items: Sequence[JsonSchemaInput], workdir: Path
) -> tuple[dict[str, list[_Captured]], set[str]]:
    """Render ``items``: one library run for all, plus one per topic whose wire names collide
    (the library's aliases are by wire name, so those names must not meet another topic's)."""
    alone = [item for item in items if _has_collisions(item.document)]
    batches = [[item for item in items if item not in alone], *([item] for item in alone)]
    modules: dict[str, list[_Captured]] = {}
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


def _lint_safe(expression: str) -> str:
    """Re-spell the string literals of an expression that would break ``ruff check`` (long,
    non-ASCII): the library writes schema text (``Literal['é']``) as it is."""
    edits = []
    for token in tokenize.generate_tokens(io.StringIO(expression).readline):
        if token.type != tokenize.STRING:
            continue
        value = ast.literal_eval(token.string)
        if len(token.string) <= _PIECE and value.isascii() and value.isprintable():
            continue
        edits.append((token.start[1], token.end[1], _string_literal(value)))
    for start, end, literal in reversed(edits):
        expression = expression[:start] + literal + expression[end:]
    return expression


_NAME = re.compile(r"\b[^\W\d]\w*")


def _expression(text: str, renames: Mapping[str, str]) -> tuple[str, set[str]]:
    """A Python expression of the library (a type, a default) with classes renamed and its
    string literals safe for ruff; and the names it uses."""
    if "'" not in text and '"' not in text:  # no string literal: every word is a name
        names = set(_NAME.findall(text))
        if names & renames.keys():
            text = _NAME.sub(lambda m: renames.get(m[0], m[0]), text)
        return text, {renames.get(name, name) for name in names}
    names = set()
    edits = []
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type == tokenize.NAME:
            names.add(token.string)
            if token.string in renames:
                edits.append((token.start[1], token.end[1], renames[token.string]))
    for start, end, name in reversed(edits):
        text = text[:start] + name + text[end:]
    return _lint_safe(text), {renames.get(name, name) for name in names}


def _models(item: JsonSchemaInput, captured: Sequence[_Captured], asked: set[str]) -> ir.JsonModels:
    """The IR of one topic's models: duplicates numbered per module, forward references noted."""
    renames = naming.numbered_duplicates([c.name for _, c, _ in captured], asked)
    defined: set[str] = set()
    classes = []
    for _, model, _ in captured:
        name = renames.get(model.name, model.name)
        fields = []
        used: set[str] = set()
        for field in model.fields:
            annotation, names = "", set[str]()
            if field.annotation:
                annotation, names = _expression(field.annotation, renames)
            default = field.default
            if default is not None:
                default, more = _expression(default, renames)
                names |= more
            used |= names
            fields.append(dataclasses.replace(field, annotation=annotation, default=default))
        extra = model.extra_annotation
        if extra is not None:
            extra, names = _expression(extra.replace("Dict[", "dict["), renames)
            used |= names
        base, names = _expression(model.base, renames) if model.base else ("", set())
        later = {c.name for _, c, _ in captured} - defined - {model.name}
        classes.append(
            dataclasses.replace(
                model,
                name=name,
                base=base,
                fields=tuple(fields),
                extra_annotation=extra,
                rebuild=model.kind != "enum"
                and bool(used & ({renames.get(n, n) for n in later} | {name})),
            )
        )
        defined.add(model.name)
    imports = sorted(set().union(*(i for _, _, i in captured)) - {("__future__", "annotations")})
    return ir.JsonModels(item.root_class, tuple(classes), tuple(imports))


def jsonschema_models(inputs: Sequence[JsonSchemaInput]) -> dict[str, ir.JsonModels]:
    """The models of every input as IR, keyed by ``key``, from one datamodel-codegen run.

    Raises ``SchemaError`` for problems only building the models finds (a definition taking the
    payload model's name, or anything the library refuses); ``check_jsonschema`` runs first.
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
    built, problems = {}, []
    for item in inputs:
        models = _models(item, modules[item.key], asked)
        names = set(models.class_names)
        imported = {clause.split(" as ")[-1] for _, clause in models.imports}
        # The library renames a class that would shadow an import; the payload must keep its name.
        shadowing = imported.intersection(names) | (imported & {item.root_class} - names)
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
        built[item.key] = models
    if problems:
        raise SchemaError(problems)
    return built
