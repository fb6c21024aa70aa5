"""The template context of a JSON Schema topic's models, computed from the intermediate model.

The classes, fields and types come from ``ir.JsonModels`` (datamodel-code-generator's parser
decided them); they render through ``models.py.jinja`` in the style of the Avro models.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterable

from pubsub_gen import ir
from pubsub_gen.render.flat import flat_text, json_value
from pubsub_gen.render.imports import Import
from pubsub_gen.render.literals import py_doc, py_str
from pubsub_gen.render.views import (
    ClassView,
    EnumView,
    FieldView,
    MemberView,
    Models,
    RecordView,
    RootModelView,
)

# An identifier (outside string literals), as tokenize reads one.
_NAME = re.compile(r"\b[^\W\d]\w*")
# What the template may write besides the fields' types.
_TEMPLATE_IMPORTS: frozenset[tuple[str, str]] = frozenset(
    {("pydantic", "BaseModel"), ("pydantic", "ConfigDict"), ("pydantic", "Field")}
)


def json_models(models: ir.JsonModels) -> Models:
    """The models of one topic, with the imports they use (only those: the output has no
    unused import for ruff to remove)."""
    classes: list[ClassView] = []
    for model in models.classes:
        doc = py_doc(model.doc)
        if model.kind == "enum":
            members = tuple(MemberView(m.python_name, m.default or "None") for m in model.fields)
            classes.append(EnumView(model.name, doc, members, base=model.base))
        elif model.kind == "root":
            annotation = model.fields[0].annotation if model.fields else "Any"
            classes.append(RootModelView(model.name, annotation, doc))
        else:
            config = ", ".join(f"{key}={value}" for key, value in model.config)
            classes.append(
                RecordView(
                    model.name,
                    doc,
                    tuple(_field_view(f) for f in model.fields),
                    base=model.base or "BaseModel",
                    config=f"ConfigDict({config})",
                    extra=model.extra_annotation,
                )
            )
    rebuilds = tuple(m.name for m in models.classes if m.rebuild)
    used = _names(_code_of(classes))
    imports: set[Import] = set()
    for module, clause in {*models.imports, *_TEMPLATE_IMPORTS}:
        if clause.split(" as ")[-1].split(".")[0] in used:
            imports.add((module, clause) if module else (clause, None))
    return Models(tuple(classes), rebuilds, (), frozenset(imports))


def _code_of(classes: Iterable[ClassView]) -> list[str]:
    """The expressions the template writes for ``classes`` (docstrings aside)."""
    code: list[str] = []
    for view in classes:
        if isinstance(view, EnumView):
            code += [view.base, *(m.value for m in view.members)]
        elif isinstance(view, RootModelView):
            code += ["RootModel", view.annotation]
        else:
            code += [view.base, view.config]
            if view.extra is not None:  # ``__pydantic_extra__: <extra> = Field(init=False)``
                code += [view.extra, "Field"]
            code += [f.annotation for f in view.fields]
            code += [f.value for f in view.fields if f.value is not None]
    return code


def _names(fragments: Iterable[str]) -> set[str]:
    """The identifiers (not the words inside string literals) of Python expressions."""
    names: set[str] = set()
    for fragment in fragments:
        if "'" not in fragment and '"' not in fragment:  # no string literal: every word is one
            names.update(_NAME.findall(fragment))
            continue
        tokens = tokenize.generate_tokens(io.StringIO(fragment).readline)
        names |= {token.string for token in tokens if token.type == tokenize.NAME}
    return names


def _field_view(field: ir.ModelField) -> FieldView:
    arguments = []
    if field.default is not None:
        arguments.append(f"default={field.default}")
    if field.default_factory is not None:
        arguments.append(f"default_factory={field.default_factory}")
    if field.python_name != field.wire_name:
        arguments.append(f"alias={py_str(field.wire_name)}")
    if field.doc is not None:  # the schema's text exactly (Avro docs are stripped)
        arguments.append(f"description={py_str(field.doc)}")
    arguments += [f"{key}={flat_text(json_value(value))}" for key, value in field.metadata]
    if not arguments:
        return FieldView(field.python_name, field.annotation, None)
    if arguments == [f"default={field.default}"]:
        return FieldView(field.python_name, field.annotation, field.default)
    return FieldView(field.python_name, field.annotation, f"Field({', '.join(arguments)})")
