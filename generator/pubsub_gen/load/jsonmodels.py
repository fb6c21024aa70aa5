"""JSON Schema topics: the IR of their Pydantic v2 models (``ir.JsonModels``).

datamodel-code-generator interprets the schemas, used in-process: its parser decides the
classes, fields, types and references; its text is never kept, nor parsed back: each model is
read from the context its template would have rendered, in the library's last step. Its
start-up and per-run set-up cost far more than one more schema, so every topic of a run goes
through ONE call in its directory mode. Before the call each document is copied and normalised
(root title, enums, defaults) so that the library decides the shape we want.
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
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from pubsub_gen import ir, naming
from pubsub_gen.config import Config, TopicConfig
from pubsub_gen.errors import SchemaError, SchemaProblem, json_pointer
from pubsub_gen.load.discover import SchemaFile
from pubsub_gen.load.jsonschema import (
    SCHEMA_MAPS,
    default_problem,
    draft_of,
    has_object,
    schema_problem,
    subschemas,
)
from pubsub_gen.load.jsonwiden import widen
from pubsub_gen.scratch import memory_folder

# Longest piece of a string literal taken from a schema (line length 100 leaves room for code).
_PIECE = 60


@dataclass(frozen=True)
class JsonSchemaInput:
    """One JSON Schema topic to render."""

    key: str  # the topic's module name (unique per run)
    path: Path  # the file on disk
    display_path: str  # the path as shown in errors and headers
    document: Mapping[str, Any]  # parsed JSON
    root_class: str  # class name the payload model must get


def json_inputs(project: ir.Project) -> list[JsonSchemaInput]:
    """What ``jsonschema_models`` needs of every JSON Schema topic, in topic order."""
    inputs = []
    for topic in project.topics:
        if isinstance(topic.payload, ir.JsonSchemaPayload):
            inputs.append(
                JsonSchemaInput(
                    key=topic.module,
                    path=topic.source,
                    display_path=topic.display_path,
                    document=topic.payload.document,
                    root_class=topic.payload_class,
                )
            )
    return inputs


def read_json_inputs(config: Config, files: Sequence[SchemaFile]) -> list[JsonSchemaInput]:
    """``json_inputs`` of the project that ``files`` (just read, not checked yet) make, if they
    load: what a worker can start on while the checks run."""
    from pubsub_gen.load.project import json_payload_class

    inputs = [
        JsonSchemaInput(
            key=naming.module_name(f.path.stem),
            path=f.path,
            display_path=f.display_path,
            document=f.document,
            root_class=json_payload_class(f, config.topics.get(f.path.stem, TopicConfig())),
        )
        for f in files
        if f.format == "jsonschema"
    ]
    return sorted(inputs, key=lambda item: item.key)  # the topics' order


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
        has_object(node["default"]) or default_problem(document, node) is not None
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
        branch = {"type": "string", "enum": strings, **names}
        if "title" in node:  # the enum's class takes it (_hoist_titled)
            branch["title"] = node["title"]
        node["anyOf"] = [branch, {"type": "null"}]


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
    nodes = [node for node, _ in subschemas(document, ()) if isinstance(node, dict)]
    for node in nodes:
        ref = node.get("$ref")
        if isinstance(ref, str) and unquote(ref[1:]) in pointers and "anyOf" not in node:
            node["anyOf"] = [{"$ref": node.pop("$ref")}, {"type": "null"}]


def _prepare(item: JsonSchemaInput, roots: set[str]) -> dict[str, Any]:
    """A normalised copy of the document whose root model gets the name ``root_class``
    (``roots``: the payload classes of the run)."""
    root_object = naming.json_root_object(item.root_class)
    document = widen(item.document, draft_of(item.document) or "2020-12", root_object)
    if "enum" in document:
        # A model must wrap a top-level enum: the enum moves to a definition.
        defs_key = "definitions" if "definitions" in document else "$defs"
        definitions = document.setdefault(defs_key, {})
        enum_name = naming.json_root_enum(item.root_class, definitions)
        keep = {"$schema", "$defs", "definitions", "title", "description"}
        definitions[enum_name] = {k: document.pop(k) for k in list(document) if k not in keep}
        document["$ref"] = f"#/{defs_key}/{enum_name}"
    _nullable_definitions(document)
    for node, _ in subschemas(document, ()):
        if isinstance(node, dict):
            _normalise(document, node)
    _hoist_titled(document, roots)
    document["title"] = item.root_class
    return document


def _makes_class(node: Any) -> bool:
    """Whether the library makes a class of ``node`` itself: an enum of strings (normalised) or
    an object with declared properties."""
    if not isinstance(node, dict) or {"$ref", "allOf", "anyOf", "oneOf"} & node.keys():
        return False
    if node.get("type") == "string":
        return isinstance(node.get("enum"), list)
    return node.get("type") == "object" and bool(node.get("properties"))


def _is_definition(pointer: tuple[str | int, ...]) -> bool:
    """Whether ``pointer`` is a ``$defs``/``definitions`` entry (read pairwise: a property may be
    named ``$defs``)."""
    index, last_map = 0, None
    while index < len(pointer):
        key = pointer[index]
        if key in SCHEMA_MAPS and index + 1 < len(pointer):
            last_map, index = key, index + 2
        else:
            last_map, index = None, index + 1
    return last_map in ("$defs", "definitions")


# What a schema says of the field holding it (``jsonwiden`` keeps these of every schema).
_FIELD_ANNOTATIONS = ("title", "description", "default", "deprecated", "readOnly", "writeOnly")


def _hoist_titled(document: dict[str, Any], roots: set[str]) -> None:
    """An inline object or enum with a ``title`` moves to a definition that ``naming`` names
    after the title, so that its class takes it (and what it holds is prefixed with it); one
    whose title is taken, or that a ``$ref`` points into, stays inline."""
    targets = {
        unquote(node["$ref"][1:])
        for node, _ in subschemas(document, ())
        if isinstance(node, dict)
        and isinstance(node.get("$ref"), str)
        and node["$ref"].startswith("#")
    }
    taken = set(roots)
    for key in ("$defs", "definitions"):
        definitions = document.get(key)
        taken.update(naming.json_class(name, roots) for name in definitions or ())
    moves = []
    for node, pointer in list(subschemas(document, ())):
        title = node.get("title") if isinstance(node, dict) else None
        if not pointer or not isinstance(title, str) or not _makes_class(node):
            continue
        here = json_pointer(*pointer)
        if _is_definition(pointer) or any(t == here or t.startswith(here + "/") for t in targets):
            continue
        name = naming.json_inline_title(title, taken)
        if name is not None:
            moves.append((_at(document, pointer[:-1]), pointer[-1], name, node))
    if not moves:
        return
    defs_key = "definitions" if "definitions" in document else "$defs"
    definitions = document.setdefault(defs_key, {})
    for container, place, name, node in moves:
        # The field keeps what it says of itself (the annotations the widened copy keeps).
        reference = {k: node[k] for k in _FIELD_ANNOTATIONS if k in node}
        container[place] = {"$ref": "#" + json_pointer(defs_key, name), **reference}
        definitions[name] = node


def _at(document: Any, pointer: tuple[str | int, ...]) -> Any:
    node = document
    for token in pointer:
        node = node[token]
    return node


def _property_names(document: Any) -> set[str]:
    names: set[str] = set()
    for node, _ in subschemas(document, ()):
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
                yield schema_problem(item.display_path, (key, name), message)


# (module path, model, its imports, the definition it is or sits in: ``_definition_of``)
_Captured = tuple[
    tuple[str, ...], "ir.ModelClass", frozenset[tuple[str, str]], tuple[str, bool] | None
]


def _definition_of(model: Any) -> tuple[str, bool] | None:
    """The ``$defs``/``definitions`` key a model of the library sits under, and whether it is
    that definition's own model (its reference path is ``<file>#/$defs/<key>``; an inline model
    inside it has more after the key, the library's own markers after a ``#``)."""
    _, _, fragment = str(getattr(model.reference, "path", "")).partition("#")
    tokens = [t.replace("~1", "/").replace("~0", "~") for t in fragment.split("/")[1:]]
    if len(tokens) < 2 or tokens[0] not in ("$defs", "definitions"):
        return None
    key, marker, _ = tokens[1].partition("#")
    return key, len(tokens) == 2 and not marker


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
        model = _model_class(self, kwargs)
        captured.append((tuple(self.module_path), model, _imports_of(self), _definition_of(self)))
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


# (the class name the library asked for, the one it gave) of a model of one module
_Allocation = tuple[str, str]


@contextlib.contextmanager
def _recording_names(keys: Iterable[str]) -> Iterator[dict[str, list[_Allocation]]]:
    """While active, records the class names the library gives the models of each module
    (``keys``), in its order: what ``naming.json_module_classes`` needs to undo its numbering
    across the batch."""
    from datamodel_code_generator.reference import ModelResolver

    recorded: dict[str, list[_Allocation]] = {key: [] for key in keys}
    get_class_name = ModelResolver.get_class_name

    def record(self: Any, *args: Any, **kwargs: Any) -> Any:
        chosen = get_class_name(self, *args, **kwargs)
        # The model's reference path starts with its file: <key>.json#..., <key>.json/...
        path = kwargs.get("path")
        allocations = recorded.get(path.partition(".json")[0]) if isinstance(path, str) else None
        if allocations is not None:
            allocations.append((chosen.duplicate_name or chosen.name, chosen.name))
        return chosen

    ModelResolver.get_class_name = record  # type: ignore[method-assign]
    try:
        yield recorded
    finally:
        ModelResolver.get_class_name = get_class_name  # type: ignore[method-assign]


def _generate(
    folder: Path, items: Sequence[JsonSchemaInput]
) -> tuple[dict[str, list[_Captured]], dict[str, list[_Allocation]]]:
    """One datamodel-codegen run over ``folder``: module key -> its models, and module key ->
    the class names the library asked for and gave (``_recording_names``)."""
    from datamodel_code_generator import generate
    from datamodel_code_generator.enums import (
        DataModelType,
        DefaultValueType,
        InputFileType,
        NamingStrategy,
    )
    from datamodel_code_generator.format import PythonVersion

    roots = {item.root_class for item in items}
    # naming decides every attribute name (the library's own rules differ: `self`, `_x`, `über`).
    aliases: dict[str, str] = {}
    for item in items:  # the caller runs a topic whose names collide in a batch of its own
        aliases.update(_attribute_names(item.document))
    keys = {item.key for item in items}

    def name_class(name: str) -> str:
        return naming.json_class(name, roots)

    with warnings.catch_warnings(), _capturing() as captured, _recording_names(keys) as names:
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
            # An inline model is named after where it sits: <Parent><Property> (naming.py).
            naming_strategy=NamingStrategy.FullPath,
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
    modules: dict[str, list[_Captured]] = {key: [] for key in keys}
    for entry in captured:
        module = entry[0]
        key = module[0] if module and module[0] in keys else items[0].key
        if len(items) > 1 and not (module and module[0] in keys):
            raise RuntimeError(f"datamodel-codegen wrote a model outside the topics: {module}")
        modules[key].append(entry)
    return modules, names


def _attribute_names(document: Any) -> dict[str, str]:
    return naming.json_attributes(_property_names(document))


def _has_collisions(document: Any) -> bool:
    names = _attribute_names(document)
    return any(name != naming.attribute_name(wire) for wire, name in names.items())


def library_documents(inputs: Sequence[JsonSchemaInput]) -> list[str]:
    """The file the library reads for each of ``inputs``: a normalised copy of its document."""
    roots = {item.root_class for item in inputs}
    return [json.dumps(_prepare(item, roots), ensure_ascii=False, indent=1) for item in inputs]


def _run(
    items: Sequence[JsonSchemaInput], workdir: Path, documents: Sequence[str] | None = None
) -> tuple[dict[str, list[_Captured]], dict[str, list[_Allocation]]]:
    """Render ``items``: one library run for all, plus one per topic whose wire names collide
    (the library's aliases are by wire name, so those names must not meet another topic's).
    ``documents``: their ``library_documents``, when made already."""
    alone = [item for item in items if _has_collisions(item.document)]
    batches = [[item for item in items if item not in alone], *([item] for item in alone)]
    modules: dict[str, list[_Captured]] = {}
    allocations: dict[str, list[_Allocation]] = {}
    if documents is None:
        documents = library_documents(items)
    texts = dict(zip([item.key for item in items], documents, strict=True))
    for index, batch in enumerate(b for b in batches if b):
        folder = workdir / f"schemas{index}"
        folder.mkdir()
        for item in batch:
            (folder / f"{item.key}.json").write_text(texts[item.key], encoding="utf-8")
        found, names = _generate(folder, batch)
        modules.update(found)
        allocations.update(names)
    return modules, allocations


def _run_in(
    folder: str | None, items: Sequence[JsonSchemaInput], documents: Sequence[str] | None
) -> tuple[dict[str, list[_Captured]], dict[str, list[_Allocation]]]:
    """``_run`` in a temporary folder inside ``folder`` (None: the usual place)."""
    with tempfile.TemporaryDirectory(prefix="pubsub-gen-", dir=folder) as workdir:
        return _run(items, Path(workdir), documents)


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
        schema_problem(item.display_path, (), f"cannot generate models: {_without_workdir(exc)}")
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


def _models(
    item: JsonSchemaInput,
    captured: Sequence[_Captured],
    allocations: Sequence[_Allocation],
    roots: set[str],
) -> ir.JsonModels:
    """The IR of one topic's models: definitions named by their keys, names numbered per
    module, forward references noted."""
    own = {d[0]: c.name for _, c, _, d in captured if d is not None and d[1]}
    definitions = {name: naming.json_class(key, roots) for key, name in own.items()}
    within = {c.name: own[d[0]] for _, c, _, d in captured if d and not d[1] and d[0] in own}
    library_names = [c.name for _, c, _, _ in captured]
    renames = naming.json_module_classes(library_names, definitions, within, allocations)
    defined: set[str] = set()
    classes = []
    for _, model, _, _ in captured:
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
        later = {c.name for _, c, _, _ in captured} - defined - {model.name}
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
    imports = sorted(set().union(*(i for _, _, i, _ in captured)) - {("__future__", "annotations")})
    return ir.JsonModels(item.root_class, tuple(classes), tuple(imports))


def jsonschema_models(
    inputs: Sequence[JsonSchemaInput],
    documents: Sequence[str] | None = None,
    scratch: str | None = None,
) -> dict[str, ir.JsonModels]:
    """The models of every input as IR, keyed by ``key``, from one datamodel-codegen run
    (``documents``: their ``library_documents``, when made already; ``scratch``: the folder
    for its temporary files, default ``memory_folder``).

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
        try:
            modules, allocations = _run_in(scratch or memory_folder(), inputs, documents)
        except OSError:  # a full or odd memory file system: the usual temporary folder
            modules, allocations = _run_in(None, inputs, documents)
    except Exception as error:  # the library raises many types; report per schema
        raise SchemaError(_blame(inputs, error)) from error
    built, problems = {}, []
    for item in inputs:
        models = _models(item, modules[item.key], allocations[item.key], roots)
        names = set(models.class_names)
        imported = {clause.split(" as ")[-1] for _, clause in models.imports}
        # The library renames a class that would shadow an import; the payload must keep its name.
        shadowing = imported.intersection(names) | (imported & {item.root_class} - names)
        for name in sorted(shadowing):
            message = (
                f"the class {name!r} would shadow an import of the models; choose another name"
            )
            problems.append(schema_problem(item.display_path, (), message))
        if item.root_class not in names and item.root_class not in imported:
            message = (
                f"datamodel-code-generator wrote no class {item.root_class!r} for the payload "
                "(it folds a root that is only a union referenced from inside itself, '$ref: #', "
                "into its members); give the root 'type': 'object' or move it under $defs"
            )
            problems.append(schema_problem(item.display_path, (), message))
        built[item.key] = models
    if problems:
        raise SchemaError(problems)
    return built
