"""Python names for the types of one Avro topic (the rules themselves live in ``naming``).

Within a topic module, class names are given in definition order:
1. the payload model takes the configured ``model`` name, else the top-level record's name,
   else (a top-level enum, array, ...) the topic file's stem in PascalCase;
2. every other record or enum takes its short name in PascalCase; when that is taken (by the
   payload, the publisher, or a type of another namespace defined earlier) it takes its full
   name in PascalCase (``com.b.Item`` -> ``ComBItem``), and then ``_2``, ``_3``... if need be.
Field attributes and enum members that collide after renaming get ``_2``, ``_3``... likewise.
"""

from __future__ import annotations

import dataclasses

from pubsub_gen import ir, naming


def assign_avro_names(
    payload: ir.AvroPayload, payload_class: str, taken: set[str]
) -> ir.AvroPayload:
    """``payload`` with every python name filled in; ``taken`` gets the class names used."""
    root = payload.root
    root_record = None
    if isinstance(root, ir.NamedRef) and isinstance(payload.lookup(root.full_name), ir.RecordType):
        root_record = root.full_name
    taken.add(payload_class)
    named: list[ir.NamedType] = []
    for t in payload.named_types:
        if isinstance(t, ir.FixedType):
            named.append(t)
            continue
        if t.full_name == root_record:
            class_name = payload_class
        else:
            class_name = naming.class_name(t.name)
            if class_name in taken:
                class_name = naming.class_name(naming.pascal_case(t.full_name))
            class_name = naming.unique(class_name, taken)
        if isinstance(t, ir.RecordType):
            wire_names = {f.wire_name for f in t.fields}
            attributes: set[str] = set()
            fields = []
            for f in t.fields:
                # Models accept attribute and wire names: an attribute equal to another field's
                # wire name would make ``Model(a=...)`` ambiguous.
                avoid = attributes | (wire_names - {f.wire_name})
                attribute = naming.unique(naming.attribute_name(f.wire_name), avoid)
                attributes.add(attribute)
                fields.append(dataclasses.replace(f, python_name=attribute))
            named.append(dataclasses.replace(t, python_name=class_name, fields=tuple(fields)))
        else:
            members: set[str] = set()
            symbols = tuple(
                ir.EnumSymbol(
                    s.wire_name, naming.unique(naming.enum_member_name(s.wire_name), members)
                )
                for s in t.symbols
            )
            named.append(dataclasses.replace(t, python_name=class_name, symbols=symbols))
    return ir.AvroPayload(root=root, named_types=tuple(named))


def default_payload_class(payload: ir.AvroPayload, stem: str) -> str:
    """The payload model's name when no ``model`` is configured."""
    root = payload.root
    if isinstance(root, ir.NamedRef):
        named = payload.lookup(root.full_name)
        if isinstance(named, ir.RecordType):
            return naming.class_name(named.name)
    return naming.class_name(stem)
