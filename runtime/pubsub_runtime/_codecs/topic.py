"""``TopicSpec``: what pubsub-gen generates per topic (name, model, schema, wire codec).

Codecs are compiled on first use and cached, so importing a generated package stays cheap
(fastavro is only imported when an Avro topic encodes or decodes its first message).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Generic, Protocol, TypeVar

from pydantic import BaseModel

from pubsub_runtime._attributes import (
    FINGERPRINT_ATTRIBUTE,
    REVISION_ATTRIBUTE,
    SCHEMA_NAME_ATTRIBUTE,
)
from pubsub_runtime._errors import (
    DecodeError,
    EncodeError,
    UnknownWriterSchema,
    one_line,
)

__all__ = [
    "TopicSpec",
]


class Codec(Protocol):
    """One wire format of one topic (built by the codec modules, used by ``TopicSpec``)."""

    def encode(self, value: Any) -> bytes: ...

    def decode(self, data: bytes) -> Any: ...


ModelT = TypeVar("ModelT", bound=BaseModel)

_SCHEMA_TYPES = frozenset({"AVRO", "JSON_SCHEMA"})
_ENCODINGS = frozenset({"JSON", "BINARY"})
# Values of Pub/Sub's ``googclient_schemaencoding`` attribute that mean "the topic's own".
_UNSPECIFIED = frozenset({"", "ENCODING_UNSPECIFIED"})
_ATTRIBUTES = {
    ("AVRO", "BINARY"): {"content-type": "application/avro", "avro-encoding": "BINARY"},
    ("AVRO", "JSON"): {"content-type": "application/json", "avro-encoding": "JSON"},
    ("JSON_SCHEMA", "JSON"): {"content-type": "application/json"},
}


class TopicSpec(Generic[ModelT]):
    """A topic, its payload model and its schema: ``encode(model) -> bytes``, ``decode(bytes)``.

    Immutable. ``named_types`` maps the full name of every named Avro record and enum to its
    generated class, so that union branches holding records or enums decode to the right class.
    ``decode`` raises only ``DecodeError``; ``encode`` raises only ``EncodeError``.

    Avro topics also know the earlier revisions of their schema: ``writer_schemas`` maps each
    one's fingerprint (``schema_fingerprint``) to its JSON text, ``revision_ids`` maps Pub/Sub
    registry revision ids to fingerprints (pubsub-gen fills both from its lock file). A message
    whose attributes name one of them is read with Avro's schema resolution into ``model``.
    """

    __slots__ = (
        "_codecs",
        "_decoders",
        "_fingerprint",
        "_identities",
        "_resolvers",
        "_revision_ids",
        "_writers",
        "definition",
        "encoding",
        "model",
        "name",
        "named_types",
        "schema_type",
    )

    name: str
    model: type[ModelT]
    schema_type: str
    encoding: str
    definition: str
    named_types: Mapping[str, type[Any]]
    _codecs: dict[str, Codec]
    _decoders: dict[str | None, Callable[[bytes], Any]]  # by ``encoding`` argument, as given
    _writers: dict[str, str]  # fingerprint -> writer schema's JSON text
    _revision_ids: dict[str, str]  # registry revision id -> fingerprint
    # fingerprint attribute, or (revision attribute, fingerprint attribute) when there is a
    # revision -> writer's fingerprint; None: today's schema
    _identities: dict[Any, str | None]
    # (fingerprint, encoding): the encoding given to decode, and the one it stands for
    _resolvers: dict[tuple[str, str | None], Callable[[bytes], Any]]
    _fingerprint: list[str]  # today's fingerprint, once computed

    def __init__(
        self,
        *,
        name: str,
        model: type[ModelT],
        schema_type: str,
        definition: str,
        encoding: str = "JSON",
        named_types: Mapping[str, type[Any]] | None = None,
        writer_schemas: Mapping[str, str] | None = None,
        revision_ids: Mapping[str, str] | None = None,
    ) -> None:
        schema_type, encoding = schema_type.upper(), encoding.upper()
        if schema_type not in _SCHEMA_TYPES:
            raise ValueError(f"schema_type must be AVRO or JSON_SCHEMA, not {schema_type!r}")
        if encoding not in _ENCODINGS:
            raise ValueError(f"encoding must be JSON or BINARY, not {encoding!r}")
        if schema_type == "JSON_SCHEMA" and encoding != "JSON":
            raise ValueError("a JSON_SCHEMA topic has JSON encoding")
        init = object.__setattr__
        init(self, "name", name)
        init(self, "model", model)
        init(self, "schema_type", schema_type)
        init(self, "encoding", encoding)
        init(self, "definition", definition)
        init(self, "named_types", MappingProxyType(dict(named_types or {})))
        init(self, "_codecs", {})
        init(self, "_decoders", {})
        init(self, "_writers", dict(writer_schemas or {}))
        init(self, "_revision_ids", dict(revision_ids or {}))
        init(self, "_identities", {})
        init(self, "_resolvers", {})
        init(self, "_fingerprint", [])

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"TopicSpec is immutable; cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"TopicSpec is immutable; cannot delete {name!r}")

    def __reduce__(self) -> tuple[Any, ...]:
        # pickling (e.g. to worker processes) goes through __init__, since attributes are frozen
        options = {
            "name": self.name,
            "model": self.model,
            "schema_type": self.schema_type,
            "encoding": self.encoding,
            "definition": self.definition,
            "named_types": dict(self.named_types),
            "writer_schemas": dict(self._writers),
            "revision_ids": dict(self._revision_ids),
        }
        return (_restore, (options,))

    def __repr__(self) -> str:
        return (
            f"TopicSpec(name={self.name!r}, model={self.model.__qualname__}, "
            f"schema_type={self.schema_type!r}, encoding={self.encoding!r})"
        )

    @property
    def attributes(self) -> Mapping[str, str]:
        """Message attributes that describe the payload's format (added when publishing).

        For an Avro topic they include ``avro-fingerprint``: the writer schema's identity,
        by which a reader of another revision of the schema resolves the message.
        """
        attributes = _ATTRIBUTES[self.schema_type, self.encoding]
        if self.schema_type == "AVRO":
            # a broken definition has none: its codec says why, on use or in prepare()
            with contextlib.suppress(ValueError):
                attributes = {**attributes, FINGERPRINT_ATTRIBUTE: self.fingerprint}
        return MappingProxyType(attributes)

    @property
    def fingerprint(self) -> str:
        """CRC-64-AVRO fingerprint of today's Avro schema (its Parsing Canonical Form).

        ``ValueError`` for a JSON_SCHEMA topic and for a definition that is not an Avro schema.
        """
        if not self._fingerprint:
            if self.schema_type != "AVRO":
                raise ValueError("a JSON_SCHEMA topic has no Avro fingerprint")
            from pubsub_runtime._codecs.avro_resolve import fingerprint

            try:
                self._fingerprint.append(fingerprint(self.definition))
            except Exception as exc:
                raise ValueError(f"not an Avro schema: {one_line(exc)}") from exc
        return self._fingerprint[0]

    @property
    def writer_schemas(self) -> Mapping[str, str]:
        """Fingerprint -> JSON text of each known writer schema (earlier revisions, and
        revisions learned from the registry while running)."""
        return MappingProxyType(self._writers)

    @property
    def revision_ids(self) -> Mapping[str, str]:
        """Pub/Sub registry revision id -> fingerprint of the schema of that revision."""
        return MappingProxyType(self._revision_ids)

    def add_revision(self, revision_id: str, definition: str) -> None:
        """Remember a registry revision learned while running (the subscriber fetches the
        revisions its messages name and this spec does not know). For this process only."""
        if self.schema_type != "AVRO":
            return
        from pubsub_runtime._codecs.avro_resolve import fingerprint

        found = fingerprint(definition)
        if found != self.fingerprint:
            self._writers.setdefault(found, definition)
        self._revision_ids[revision_id] = found
        self._identities.clear()  # answers given before may have been "unknown"

    def encode(self, value: ModelT) -> bytes:
        """The payload bytes of ``value`` in the topic's encoding.

        ``value`` is normally an instance of ``model``; anything else (a dict, or the root value
        of a ``RootModel``) is validated into ``model`` first.
        """
        try:
            codec = self._codec(self.encoding)
        except ValueError as exc:
            raise EncodeError(self.name, str(exc)) from exc
        return codec.encode(value)

    def decode(
        self,
        data: bytes,
        *,
        encoding: str | None = None,
        attributes: Mapping[str, str] | None = None,
    ) -> ModelT:
        """The model held by ``data``; raises ``DecodeError`` (topic, reason) on any problem.

        ``encoding`` overrides the topic's own, e.g. from the ``googclient_schemaencoding``
        attribute that Pub/Sub adds to messages of a topic bound to a schema. ``attributes``
        (the message's) name the writer schema of an Avro message: Pub/Sub's
        ``googclient_schemarevisionid`` (through ``revision_ids``), else the
        ``avro-fingerprint`` the publishers stamp. A message of another revision is read with
        Avro's schema resolution; one naming a writer this spec does not know raises
        ``UnknownWriterSchema``; without either attribute, today's schema reads it.
        """
        if attributes is not None and self.schema_type == "AVRO":
            # This runs for every message: ``in`` then ``[]``, as protobuf's attribute map
            # answers ``get`` of a missing key through a KeyError, several times slower; and
            # without a revision the fingerprint alone is the key, sparing a tuple.
            fingerprint = None
            if FINGERPRINT_ATTRIBUTE in attributes:
                fingerprint = attributes[FINGERPRINT_ATTRIBUTE]
            key: Any = fingerprint
            if REVISION_ATTRIBUTE in attributes:
                key = (attributes[REVISION_ATTRIBUTE], fingerprint)
            try:
                writer = self._identities[key]
            except KeyError:
                try:
                    writer = self._identify(key, attributes)
                except ValueError as exc:  # today's definition is broken
                    raise DecodeError(self.name, str(exc)) from exc
            if writer is not None:
                resolver = self._resolvers.get((writer, encoding))
                if resolver is None:
                    resolver = self._resolver(writer, encoding)
                return resolver(data)  # type: ignore[no-any-return]
        decoder = self._decoders.get(encoding)  # per message: skip the checks below
        if decoder is None:
            decoder = self._decoder(encoding)
        result: ModelT = decoder(data)
        return result

    def _identify(self, key: Any, attributes: Mapping[str, str]) -> str | None:
        """The fingerprint of the writer named by ``key`` (the fingerprint attribute, or
        with a revision attribute both as a tuple); None for today's schema."""
        revision, fingerprint = key if type(key) is tuple else (None, key)
        found = self._revision_ids.get(revision) if revision else None
        if found is None and fingerprint:
            found = fingerprint if fingerprint in self._writers else None
            if found is None and fingerprint == self.fingerprint:
                found = fingerprint
        if found is None:
            if not revision and not fingerprint:
                found = self.fingerprint  # no identity: today's schema, as always
            else:
                raise UnknownWriterSchema(
                    self.name,
                    revision_id=revision or None,
                    fingerprint=fingerprint or None,
                    schema_name=attributes.get(SCHEMA_NAME_ATTRIBUTE) or None,
                )
        writer = None if found == self.fingerprint else found
        if len(self._identities) < _MAX_IDENTITIES:
            self._identities[key] = writer
        return writer

    def _resolver(self, writer: str, encoding: str | None) -> Callable[[bytes], Any]:
        """The decoder of messages of ``writer`` in ``encoding`` (the argument, as given)."""
        wanted = self._wanted(encoding)
        resolver = self._resolvers.get((writer, wanted))
        if resolver is None:
            try:
                from pubsub_runtime._codecs.avro import load_schema
                from pubsub_runtime._codecs.avro_resolve import Resolver

                resolver = Resolver(
                    self.name,
                    self.model,
                    load_schema(self.definition),
                    self.named_types,
                    self._writers[writer],
                    wanted,
                ).decode
            except Exception as exc:
                reason = f"cannot read writer schema {writer}: {one_line(exc)}"
                raise DecodeError(self.name, reason) from exc
            self._resolvers[writer, wanted] = resolver
        self._resolvers[writer, encoding] = resolver  # only encodings that decode, as below
        return resolver

    def _wanted(self, encoding: str | None) -> str:
        wanted = self.encoding if encoding is None else encoding.upper()
        if wanted in _UNSPECIFIED:
            wanted = self.encoding
        if wanted not in _ENCODINGS or (self.schema_type == "JSON_SCHEMA" and wanted != "JSON"):
            raise DecodeError(self.name, f"cannot decode {encoding!r} payloads of this topic")
        return wanted

    def _decoder(self, encoding: str | None) -> Callable[[bytes], Any]:
        wanted = self._wanted(encoding)
        try:
            codec = self._codec(wanted)
        except ValueError as exc:
            raise DecodeError(self.name, str(exc)) from exc
        self._decoders[encoding] = codec.decode  # only encodings that decode are remembered
        return codec.decode

    def prepare(self) -> None:
        """Compile the topic's codec now instead of on first use.

        Raises ``ValueError`` when the definition or the models do not fit together, so that
        an application can fail at start rather than on its first message.
        """
        self._codec(self.encoding)

    def _codec(self, encoding: str) -> Codec:
        codec = self._codecs.get(encoding)
        if codec is None:
            try:
                codec = self._build(encoding)
            except Exception as exc:  # a broken definition must not escape as anything else
                reason = f"cannot build the {self.schema_type} {encoding} codec: {one_line(exc)}"
                codec = _Unusable(reason)
            self._codecs[encoding] = codec  # a race builds twice, harmlessly
        if isinstance(codec, _Unusable):  # remembered, so that every message does not rebuild
            raise ValueError(codec.reason)
        return codec

    def _build(self, encoding: str) -> Codec:
        if self.schema_type == "JSON_SCHEMA":
            from pubsub_runtime._codecs.jsonschema import JsonSchemaCodec

            return JsonSchemaCodec(self.name, self.model, self.definition)
        from pubsub_runtime._codecs.avro import load_schema

        schema = load_schema(self.definition)
        if encoding == "BINARY":
            from pubsub_runtime._codecs.avro_binary import AvroBinaryCodec

            return AvroBinaryCodec(self.name, self.model, schema, self.named_types)
        from pubsub_runtime._codecs.avro_json import AvroJsonCodec

        return AvroJsonCodec(self.name, self.model, schema, self.named_types)


_MAX_IDENTITIES = 1024  # bounds what attributes from outside can make this remember


def _restore(options: dict[str, Any]) -> TopicSpec[Any]:
    return TopicSpec(**options)


class _Unusable:
    """Stands for a codec that could not be built, with the reason."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def encode(self, value: Any) -> bytes:
        raise ValueError(self.reason)

    def decode(self, data: bytes) -> Any:
        raise ValueError(self.reason)
