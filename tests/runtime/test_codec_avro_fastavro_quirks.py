"""Legal Avro that fastavro reads wrongly or refuses, handled by the codecs all the same.

Named types called ``record``, ``enum``, ``fixed``, ``map``, ``error`` or ``array`` (in the null
namespace) are misread by fastavro's writer where they are referred to; the codecs give it the
schema with those types renamed (Avro binary carries no names: same bytes) and keep the real
names for Avro JSON. An invalid ``decimal`` is ignored, as the specification says: the field is
its plain bytes.
"""

from __future__ import annotations

import enum
import io
import json

import fastavro
from pydantic import BaseModel

from pubsub_runtime import TopicSpec
from pubsub_runtime._codecs.avro import for_fastavro

SCHEMA = {
    "type": "record",
    "name": "record",
    "fields": [
        {"name": "next", "type": ["null", "record"]},
        {"name": "e", "type": {"type": "enum", "name": "enum", "symbols": ["A", "B"]}},
        {
            "name": "m",
            "type": {"type": "record", "name": "map", "fields": [{"name": "x", "type": "int"}]},
        },
        {"name": "u", "type": ["null", "map", "enum"]},
    ],
}


class Enum(enum.StrEnum):
    A = "A"
    B = "B"


class Map(BaseModel):
    x: int


class Record(BaseModel):
    next: Record | None
    e: Enum
    m: Map
    u: Map | Enum | None


def spec(encoding: str) -> TopicSpec[Record]:
    return TopicSpec(
        name="keywords",
        model=Record,
        schema_type="AVRO",
        encoding=encoding,
        definition=json.dumps(SCHEMA),
        named_types={"record": Record, "enum": Enum, "map": Map},
    )


VALUE = Record(
    next=Record(next=None, e=Enum.B, m=Map(x=2), u=Enum.A), e=Enum.A, m=Map(x=1), u=Map(x=3)
)


def test_the_schema_fastavro_gets_renames_only_the_keyword_named_types() -> None:
    renamed, names = for_fastavro(SCHEMA)
    assert names == {"record": "record_", "enum": "enum_", "map": "map_"}
    assert renamed["fields"][0]["type"] == ["null", "record_"]
    assert renamed["fields"][3]["type"] == ["null", "map_", "enum_"]
    namespaced = {**SCHEMA, "namespace": "com.example"}
    assert for_fastavro(namespaced) == (namespaced, {})  # com.example.record is read right


def test_keyword_named_types_encode_what_fastavro_writes_for_the_renamed_schema() -> None:
    datum = {
        "next": {"next": None, "e": "B", "m": {"x": 2}, "u": ("enum_", "A")},
        "e": "A",
        "m": {"x": 1},
        "u": ("map_", {"x": 3}),
    }
    written = io.BytesIO()
    fastavro.schemaless_writer(written, fastavro.parse_schema(for_fastavro(SCHEMA)[0]), datum)

    binary = spec("BINARY")
    assert binary.encode(VALUE) == written.getvalue()
    assert binary.decode(written.getvalue()) == VALUE


def test_keyword_named_types_keep_their_names_in_avro_json() -> None:
    as_json = spec("JSON")
    text = as_json.encode(VALUE)
    assert json.loads(text)["u"] == {"map": {"x": 3}}
    assert json.loads(text)["next"]["record"]["u"] == {"enum": "A"}
    assert as_json.decode(text) == VALUE


class Money(BaseModel):
    amount: bytes


def test_an_invalid_decimal_is_plain_bytes() -> None:
    schema = {
        "type": "record",
        "name": "Money",
        "fields": [
            {
                "name": "amount",
                "type": {"type": "bytes", "logicalType": "decimal", "precision": 2, "scale": 3},
            }
        ],
    }
    money = TopicSpec(
        name="money",
        model=Money,
        schema_type="AVRO",
        encoding="BINARY",
        definition=json.dumps(schema),
    )
    encoded = money.encode(Money(amount=b"\x01\x02"))
    assert encoded == b"\x04\x01\x02"
    assert money.decode(encoded) == Money(amount=b"\x01\x02")
