"""The template context of an Avro topic's models, computed from the intermediate model."""

from __future__ import annotations

from pubsub_gen import ir
from pubsub_gen.render.literals import py_doc, py_str, py_text
from pubsub_gen.render.pytypes import AvroTypes
from pubsub_gen.render.views import (
    EnumView,
    FieldView,
    MemberView,
    Models,
    RecordView,
    RootModelView,
)


def avro_models(topic: ir.Topic) -> Models:
    payload = topic.payload
    assert isinstance(payload, ir.AvroPayload)
    types = AvroTypes(payload)
    named = {t.full_name: t for t in payload.named_types}
    records = _dependency_order(payload, types)
    enums = [t for t in payload.named_types if isinstance(t, ir.EnumType)]
    defined: set[str] = {e.full_name for e in enums}
    rebuilds: list[str] = []
    record_views: list[RecordView] = []
    for record in records:
        fields = tuple(_field_view(f, types) for f in record.fields)
        record_views.append(RecordView(record.python_name, py_doc(record.doc), fields))
        later = set().union(*(types.references(f.type) for f in record.fields)) - defined
        if later - {record.full_name}:
            rebuilds.append(record.python_name)
        defined.add(record.full_name)
    root_model = None
    root_is_record = isinstance(payload.root, ir.NamedRef) and isinstance(
        named[payload.root.full_name], ir.RecordType
    )
    if not root_is_record:
        types.imports.add(("pydantic", "RootModel"))
        root_doc = (
            named[payload.root.full_name].doc if isinstance(payload.root, ir.NamedRef) else None
        )
        root_model = RootModelView(
            topic.payload_class, types.annotation(payload.root), py_doc(root_doc)
        )
    if records:
        types.imports |= {("pydantic", "BaseModel"), ("pydantic", "ConfigDict")}
    if enums:
        types.imports.add(("enum", "StrEnum"))
    enum_views = [
        EnumView(
            e.python_name,
            py_doc(e.doc),
            tuple(MemberView(s.python_name, py_str(s.wire_name)) for s in e.symbols),
        )
        for e in enums
    ]
    return Models(
        classes=(*enum_views, *record_views, *([root_model] if root_model else [])),
        rebuilds=tuple(rebuilds),
        named_types=tuple(
            (py_str(t.full_name), t.python_name)
            for t in payload.named_types
            if not isinstance(t, ir.FixedType)
        ),
        imports=frozenset(types.imports),
    )


def _field_view(field: ir.Field, types: AvroTypes) -> FieldView:
    annotation = types.annotation(field.type)
    arguments: list[str] = []
    simple_default: str | None = None
    if field.has_default:
        expression, builds_models = types.default_value(field.type, field.default)
        if builds_models:  # a fresh instance per model, built once the classes exist
            arguments.append(f"default_factory=lambda: {expression}")
        else:
            simple_default = expression
            arguments.append(f"default={expression}")
    if field.python_name != field.wire_name:
        arguments.append(f"alias={py_str(field.wire_name)}")
    description = py_text(field.doc)
    if description is not None:
        arguments.append(f"description={description}")
    if arguments == [f"default={simple_default}"]:
        return FieldView(field.python_name, annotation, simple_default)
    if not arguments:
        return FieldView(field.python_name, annotation, None)
    types.imports.add(("pydantic", "Field"))
    return FieldView(field.python_name, annotation, f"Field({', '.join(arguments)})")


def _dependency_order(payload: ir.AvroPayload, types: AvroTypes) -> list[ir.RecordType]:
    """Records with the ones they use first (depth-first from the top-level type)."""
    named = {t.full_name: t for t in payload.named_types}
    ordered: list[ir.RecordType] = []
    visiting: set[str] = set()

    def visit(full_name: str) -> None:
        record = named[full_name]
        if full_name in visiting or not isinstance(record, ir.RecordType):
            return
        visiting.add(full_name)
        for field in record.fields:
            for used in sorted(types.references(field.type), key=list(named).index):
                visit(used)
        ordered.append(record)

    for full_name in (*sorted(types.references(payload.root), key=list(named).index), *named):
        visit(full_name)
    return ordered
