"""Reading a message written with another revision of a topic's Avro schema.

Avro's schema resolution (defaults for missing fields, removed fields skipped, fields matched
by name and alias, promotions, enum reader defaults, union branches) is fastavro's own: its
binary reader takes the writer and the reader schema, and its Avro JSON reader does the same.
What comes out is a datum of the reader schema, tagged like the topic's own binary decoder
reads it, so the same converter builds the model's input. One resolver per (writer, reader)
pair, built once and kept by the ``TopicSpec``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from io import BytesIO, StringIO
from typing import Any

import fastavro
from fastavro._read_py import reader as _json_reader  # what fastavro.json_reader builds on
from fastavro.io.json_decoder import AvroJSONDecoder
from pydantic import BaseModel

from pubsub_runtime._codecs.avro import (
    PRIMITIVES,
    AvroSchema,
    Models,
    PreparedReader,
    for_fastavro,
    identity,
)
from pubsub_runtime._codecs.avro_binary import BinaryDecoder
from pubsub_runtime._errors import DecodeError, one_line

__all__ = ["Resolver", "canonical_form", "fingerprint"]


def canonical_form(definition: str | dict[str, Any] | list[Any]) -> str:
    """The schema's Parsing Canonical Form (fastavro's), from its JSON text or document.

    Logical types are left out before fastavro sees the schema: the canonical form drops them
    anyway, and an invalid one (ignored by the specification) must not stop it.
    """
    from fastavro.schema import to_parsing_canonical_form

    schema = json.loads(definition) if isinstance(definition, str) else definition
    return str(to_parsing_canonical_form(_without_logical_types(schema)))


def fingerprint(definition: str | dict[str, Any] | list[Any]) -> str:
    """The CRC-64-AVRO fingerprint of a schema's Parsing Canonical Form, as 16 hex digits.

    What Avro's single-object encoding identifies a writer schema by (there as 8 bytes,
    little-endian; here as the hex text fastavro gives).
    """
    from fastavro.schema import fingerprint as crc64

    return str(crc64(canonical_form(definition), "CRC-64-AVRO"))


def _without_logical_types(node: Any) -> Any:
    if isinstance(node, list):
        return [_without_logical_types(item) for item in node]
    if isinstance(node, dict):
        return {k: _without_logical_types(v) for k, v in node.items() if k != "logicalType"}
    return node


def _has_named_union(node: Any, seen: set[str]) -> bool:
    """Whether a schema (JSON) has a union with a named branch: only then does fastavro tag
    values that the reader holds outside a union."""
    if isinstance(node, list):
        named = any(
            (isinstance(b, str) and b not in PRIMITIVES)
            or (isinstance(b, dict) and b.get("type") in ("record", "error", "enum", "fixed"))
            for b in node
        )
        return named or any(_has_named_union(b, seen) for b in node)
    if not isinstance(node, dict):
        return False
    name = node.get("name")
    if isinstance(name, str) and node.get("type") in ("record", "error"):
        if name in seen:
            return False
        seen.add(name)
    children = [f.get("type") for f in node.get("fields", ())]
    children += [node.get(key) for key in ("type", "items", "values") if key in node]
    return any(_has_named_union(child, seen) for child in children if not isinstance(child, str))


class Resolver:
    """Decodes messages written with ``writer`` (a schema's JSON text) into today's model."""

    def __init__(
        self,
        topic: str,
        model: type[BaseModel],
        reader: AvroSchema,
        named_types: Mapping[str, type[Any]],
        writer: str,
        encoding: str,
    ) -> None:
        self.topic = topic
        self.model = model
        document, _ = for_fastavro(json.loads(writer))  # as the reader schema is parsed
        self._writer = fastavro.parse_schema(document)
        self._reader = reader.parsed
        models = Models(model, named_types, reader)
        untag = _has_named_union(json.loads(writer), set())
        decoder = BinaryDecoder(reader, models, resolved=True, untag=untag)
        convert = decoder.conv(reader.root) or identity
        self._convert: Callable[[Any], Any] = convert
        self.decode: Callable[[bytes], Any] = self._binary() if encoding == "BINARY" else self._json

    def _binary(self) -> Callable[[bytes], Any]:
        """The binary decoder: fastavro reads with both schemas, ``model_validate`` builds."""
        prepared = PreparedReader.of(self._writer, self._reader, return_named_type=True)
        read, writer, named, reader, options = prepared.fields()
        # what model_validate calls, without its wrapper (it is given no options)
        validate = self.model.__pydantic_validator__.validate_python
        convert, topic = self._convert, self.topic
        new_buffer = BytesIO

        def decode(data: bytes) -> Any:  # everything bound: it runs once per message
            try:
                buffer = new_buffer(data)
                datum = read(buffer, writer, named, reader, options)
                if buffer.tell() != len(data):
                    raise ValueError(f"{len(data) - buffer.tell()} bytes left after the message")
            except Exception as exc:
                reason = f"not Avro binary of its writer schema, or not resolvable: {one_line(exc)}"
                raise DecodeError(topic, reason) from exc
            try:
                return validate(convert(datum))
            except Exception as exc:
                raise DecodeError(topic, one_line(exc)) from exc

        return decode

    def _json(self, data: bytes) -> Any:
        try:
            # fastavro's JSON decoder reads one value per line: the value goes in on one line.
            text = json.dumps(json.loads(data))
            read = _json_reader(
                AvroJSONDecoder(StringIO(text)), self._writer, return_named_type=True
            )
            read.reader_schema = fastavro.parse_schema(
                self._reader, read._named_schemas["reader"], _write_hint=False
            )
            datum = next(read)
        except Exception as exc:
            reason = f"not Avro JSON of its writer schema, or not resolvable: {one_line(exc)}"
            raise DecodeError(self.topic, reason) from exc
        return self._validate(datum)

    def _validate(self, datum: Any) -> Any:
        try:
            return self.model.model_validate(self._convert(datum))
        except Exception as exc:
            raise DecodeError(self.topic, one_line(exc)) from exc
