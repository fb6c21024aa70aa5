"""What a compatibility check finds: one ``Finding`` per breaking change, warning or note."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from pubsub_gen.naming import attribute_name, class_name


class Mode(enum.StrEnum):
    """Which readers must cope with which writers (Confluent's names)."""

    BACKWARD = "backward"  # the new schema reads messages written with the old one
    FORWARD = "forward"  # the old schema reads messages written with the new one
    FULL = "full"  # both

    @property
    def directions(self) -> tuple[Direction, ...]:
        if self is Mode.FULL:
            return (Direction.BACKWARD, Direction.FORWARD)
        return (Direction(self.value),)


class Direction(enum.StrEnum):
    """One reader/writer pairing; ``backward`` = reader new, writer old."""

    BACKWARD = "backward"
    FORWARD = "forward"

    @property
    def reader_is_new(self) -> bool:
        return self is Direction.BACKWARD


class Kind(enum.StrEnum):
    """How much a finding matters."""

    BREAK = "break"  # a reader fails (or misreads) on the wire: fails the check
    PYTHON = "python"  # the wire is fine but generated names change: code importing them breaks
    INFO = "info"  # worth saying, never fails (a topic added)


@dataclass(frozen=True, order=True)
class Finding:
    """One line of the report: ``<topic>: <path>: <message> (<direction>)``."""

    topic: str
    path: str  # field path inside the payload ("customer.address.zip", "lines[]"), "" = root
    rule: str  # stable id for tooling, e.g. "field-added-without-default"
    message: str  # the human sentence
    direction: str  # "backward" / "forward" for wire rules, "python" / "topic" otherwise
    kind: Kind = Kind.BREAK

    def fails(self, strict_python: bool = False) -> bool:
        return self.kind is Kind.BREAK or (strict_python and self.kind is Kind.PYTHON)


def join_path(path: str, name: str) -> str:
    """``customer`` + ``zip`` -> ``customer.zip``; suffixes like ``[]`` attach directly."""
    if not path:
        return name
    if name.startswith(("[", "{", "<")):
        return path + name
    return f"{path}.{name}"


@dataclass(frozen=True)
class Issue:
    """What a rule engine reports before it is tied to a topic and a direction."""

    path: str
    rule: str
    message: str
    kind: Kind = Kind.BREAK


@dataclass(frozen=True)
class PythonNames:
    """The generated names of one schema's types, when the generator's model is at hand.

    ``classes``: Avro full name -> class; ``attributes``: (record full name, wire field name)
    -> attribute. Names not listed fall back to the naming rules (``pubsub_gen.naming``).
    """

    classes: Mapping[str, str] = field(default_factory=dict)
    attributes: Mapping[tuple[str, str], str] = field(default_factory=dict)

    def cls(self, full_name: str) -> str:
        return self.classes.get(full_name) or class_name(full_name)

    def attr(self, record: str, wire_name: str) -> str:
        return self.attributes.get((record, wire_name)) or attribute_name(wire_name)


@dataclass(frozen=True)
class TopicSchema:
    """One topic's schema as the checks need it, whichever way it was loaded."""

    name: str  # the Pub/Sub topic name (file stem unless configured)
    schema_type: str  # "AVRO" or "JSON_SCHEMA"
    document: object  # the parsed schema (JSON value)
    source: str  # where it came from, for messages
    encoding: str | None = None  # "JSON" / "BINARY" for Avro topics
    payload_class: str | None = None  # the generated payload model's name, when known
    python_names: PythonNames | None = None  # Avro: the generated names, when known
