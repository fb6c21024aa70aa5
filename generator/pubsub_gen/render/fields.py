"""The fields of a topic's payload model, read from the intermediate model (handler docstrings).

Types are written as the models write them, without ``Annotated`` metadata and the ``_dt``
module prefix (``Decimal``, ``date``): what a reader of the handler needs to know.
"""

from __future__ import annotations

from dataclasses import dataclass

from pubsub_gen import ir
from pubsub_gen.render.pytypes import AvroTypes


@dataclass(frozen=True)
class FieldDoc:
    name: str
    type: str  # the annotation without Annotated[...] metadata
    doc: str | None


def payload_fields(topic: ir.Topic, json_models: ir.JsonModels | None) -> tuple[FieldDoc, ...]:
    """The fields of the payload model, inherited ones first (``root``: a RootModel)."""
    if isinstance(topic.payload, ir.AvroPayload):
        return _avro_fields(topic.payload)
    assert json_models is not None, "a JSON Schema topic's fields come from its models"
    classes = {model.name: model for model in json_models.classes}
    return tuple(_json_fields(classes, topic.payload_class, set()))


def _avro_fields(payload: ir.AvroPayload) -> tuple[FieldDoc, ...]:
    types = AvroTypes(payload, plain=True)
    root = payload.root
    if isinstance(root, ir.NamedRef):
        record = payload.lookup(root.full_name)
        if isinstance(record, ir.RecordType):
            return tuple(
                FieldDoc(f.python_name, types.annotation(f.type), _doc(f.doc))
                for f in record.fields
            )
    return (FieldDoc("root", types.annotation(root), None),)


def _doc(text: str | None) -> str | None:
    return text.strip() if text is not None and text.strip() else None


def _json_fields(classes: dict[str, ir.ModelClass], name: str, seen: set[str]) -> list[FieldDoc]:
    model = classes.get(name)
    if model is None or name in seen:
        return []
    seen.add(name)
    if model.kind == "root":
        annotation = model.fields[0].annotation if model.fields else "Any"
        return [FieldDoc("root", annotation, None)]
    found: list[FieldDoc] = []
    for base in model.base.split(", "):
        found += _json_fields(classes, base, seen)
    for field in model.fields:
        found = [f for f in found if f.name != field.python_name]
        found.append(FieldDoc(field.python_name, field.annotation, field.doc))
    return found
