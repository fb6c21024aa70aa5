"""The views ``models.py.jinja`` renders: the models of either schema language, in one style.

``render.avro`` and ``render.jsonschema`` compute them from the intermediate model; every
string here is already Python source (types, literals, expressions).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pubsub_gen.render.imports import Import


@dataclass(frozen=True)
class FieldView:
    name: str
    annotation: str
    value: str | None  # what follows ``=``, if anything


@dataclass(frozen=True)
class RecordView:
    name: str
    doc: str | None
    fields: tuple[FieldView, ...]
    base: str = "BaseModel"
    config: str = "ConfigDict(populate_by_name=True)"
    extra: str | None = None  # the type of undeclared properties, when typed
    kind: Literal["record"] = "record"


@dataclass(frozen=True)
class MemberView:
    name: str
    value: str


@dataclass(frozen=True)
class EnumView:
    name: str
    doc: str | None
    members: tuple[MemberView, ...]
    base: str = "StrEnum"
    kind: Literal["enum"] = "enum"


@dataclass(frozen=True)
class RootModelView:
    name: str
    annotation: str
    doc: str | None
    kind: Literal["root"] = "root"


ClassView = EnumView | RecordView | RootModelView


@dataclass(frozen=True)
class Models:
    """What ``models.py.jinja`` renders: classes in definition order, then the rebuilds."""

    classes: tuple[ClassView, ...]
    rebuilds: tuple[str, ...]  # models referring to classes defined after them
    named_types: tuple[tuple[str, str], ...]  # (full name literal, class)
    imports: frozenset[Import]
