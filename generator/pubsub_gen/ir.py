"""The intermediate model: plain typed data between loading schemas and rendering code.

Loading fills it (names already made safe, defaults already validated); rendering reads it.
Nothing here knows about Python syntax, templates or files on disk beyond their paths.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

PrimitiveName = Literal["null", "boolean", "int", "long", "float", "double", "bytes", "string"]
LogicalName = Literal[
    "decimal",
    "uuid",
    "date",
    "time-millis",
    "time-micros",
    "timestamp-millis",
    "timestamp-micros",
    "local-timestamp-millis",
    "local-timestamp-micros",
    "duration",
]
SchemaType = Literal["AVRO", "JSON_SCHEMA"]
Encoding = Literal["JSON", "BINARY"]


@dataclass(frozen=True)
class Primitive:
    name: PrimitiveName


@dataclass(frozen=True)
class NamedRef:
    """A reference to a record, enum or fixed type of the same topic, by Avro full name."""

    full_name: str


@dataclass(frozen=True)
class Logical:
    """A logical type over its underlying type (a primitive, or a ``NamedRef`` to a fixed)."""

    name: LogicalName
    base: Primitive | NamedRef
    precision: int | None = None
    scale: int | None = None


@dataclass(frozen=True)
class Array:
    items: TypeRef


@dataclass(frozen=True)
class Map:
    values: TypeRef


@dataclass(frozen=True)
class Union:
    branches: tuple[TypeRef, ...]


TypeRef = Primitive | NamedRef | Logical | Array | Map | Union


@dataclass(frozen=True)
class Field:
    wire_name: str
    python_name: str
    type: TypeRef
    doc: str | None = None
    has_default: bool = False
    # The default as written in the schema (Avro JSON form), already checked against ``type``.
    default: Any = None
    aliases: tuple[str, ...] = ()
    order: str | None = None


@dataclass(frozen=True)
class RecordType:
    full_name: str
    name: str
    namespace: str | None
    python_name: str
    fields: tuple[Field, ...]
    doc: str | None = None
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class EnumSymbol:
    wire_name: str
    python_name: str


@dataclass(frozen=True)
class EnumType:
    full_name: str
    name: str
    namespace: str | None
    python_name: str
    symbols: tuple[EnumSymbol, ...]
    # The reader's fallback symbol for schema resolution (Avro 1.9+), if the schema sets one.
    default: str | None = None
    doc: str | None = None
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class FixedType:
    full_name: str
    name: str
    namespace: str | None
    size: int
    doc: str | None = None
    aliases: tuple[str, ...] = ()


NamedType = RecordType | EnumType | FixedType


@dataclass(frozen=True)
class AvroPayload:
    """An Avro topic's types: the top-level type and every named type, in definition order."""

    root: TypeRef
    named_types: tuple[NamedType, ...]

    def lookup(self, full_name: str) -> NamedType:
        for named in self.named_types:
            if named.full_name == full_name:
                return named
        raise KeyError(full_name)


@dataclass(frozen=True)
class JsonSchemaPayload:
    """A JSON Schema topic: its document (its ``JsonModels`` come from ``load.jsonmodels``)."""

    document: Mapping[str, Any]


ClassKind = Literal["model", "root", "enum"]


@dataclass(frozen=True)
class ModelField:
    """A field of a JSON Schema model, or a member of its enum (``default``: the member's value).

    ``annotation`` is the Python type as datamodel-code-generator's data type writes it (class
    names final, string literals already safe for ruff); ``default`` a Python expression.
    """

    python_name: str
    wire_name: str
    annotation: str
    required: bool = True
    default: str | None = None
    default_factory: str | None = None  # a Python expression
    doc: str | None = None
    # Further ``Field()`` keywords the library writes (title, examples, discriminator...), as
    # JSON values.
    metadata: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class ModelClass:
    """One class of a JSON Schema topic's models, as datamodel-code-generator's parser made it."""

    name: str
    kind: ClassKind
    base: str  # "BaseModel", another model of the topic, "StrEnum", "IntEnum", "RootModel"...
    fields: tuple[ModelField, ...]
    doc: str | None = None
    config: tuple[tuple[str, str], ...] = ()  # ConfigDict keyword -> Python expression
    extra_annotation: str | None = None  # the type of undeclared properties, when typed
    rebuild: bool = False  # refers to itself or to a class defined after it


@dataclass(frozen=True)
class JsonModels:
    """The models of one JSON Schema topic, in definition order, and the imports they need."""

    root_class: str
    classes: tuple[ModelClass, ...]
    imports: tuple[tuple[str, str], ...]  # (module, name)

    @property
    def class_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.classes)


@dataclass(frozen=True)
class Revision:
    """One recorded revision of an Avro topic's schema (an entry of the lock file)."""

    fingerprint: str  # CRC-64-AVRO of the Parsing Canonical Form, 16 hex digits
    canonical: str  # the Parsing Canonical Form
    definition: str  # the full schema (compact JSON): what a reader resolves from
    revision_id: str | None = None  # Pub/Sub's registry revision id, once pushed


@dataclass(frozen=True)
class Topic:
    stem: str  # the schema file's stem: the key of its [tool.pubsub-gen.topics.<stem>] table
    name: str  # the Pub/Sub topic name
    module: str  # the generated module's name inside the package
    source: Path
    display_path: str  # the schema path as shown in headers and errors (relative, POSIX)
    schema_type: SchemaType
    encoding: Encoding
    subscriptions: tuple[str, ...]
    definition: str  # the schema text given to Pub/Sub and the codecs
    payload_class: str  # the exported payload model
    publisher_class: str
    constant: str  # the module constant holding the TopicSpec
    payload: AvroPayload | JsonSchemaPayload
    options: Mapping[str, Any] = field(default_factory=dict)  # further per-topic settings
    revisions: tuple[Revision, ...] = ()  # Avro: recorded revisions, oldest first (lock file)
    fingerprint: str | None = None  # Avro: the current schema's (one of ``revisions``)


@dataclass(frozen=True)
class Project:
    package: str  # dotted import path of the generated package
    service: str  # names the default subscriptions: <service>.<topic>
    schemas_display: str  # the schemas folder as shown in the package header
    topics: tuple[Topic, ...]
