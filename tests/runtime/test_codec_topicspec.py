"""TopicSpec: attributes, immutability, lazy codecs, encoding overrides, one error type each way."""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import json
import pickle
import subprocess
import sys
from typing import Any

import fastavro.schema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pubsub_runtime import DecodeError, Duration, EncodeError, TopicSpec


class Order(BaseModel):
    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True)

    order_id: str = Field(alias="orderId")
    quantity: int
    note: str | None
    placed_at: dt.datetime = Field(alias="placedAt")


AVRO = {
    "type": "record",
    "name": "Order",
    "namespace": "shop",
    "fields": [
        {"name": "orderId", "type": "string"},
        {"name": "quantity", "type": "int"},
        {"name": "note", "type": ["null", "string"]},
        {"name": "placedAt", "type": {"type": "long", "logicalType": "timestamp-micros"}},
    ],
}
JSON_SCHEMA = {
    "type": "object",
    "properties": {
        "orderId": {"type": "string"},
        "quantity": {"type": "integer"},
        "note": {"type": ["string", "null"]},
        "placedAt": {"type": "string", "format": "date-time"},
    },
    "required": ["orderId", "quantity", "note", "placedAt"],
}
ORDER = Order(
    orderId="o-1",
    quantity=3,
    note=None,
    placedAt=dt.datetime(2024, 5, 1, 12, 30, tzinfo=dt.UTC),
)


def avro(encoding: str, **changes: Any) -> TopicSpec[Order]:
    options: dict[str, Any] = {
        "name": "orders",
        "model": Order,
        "schema_type": "AVRO",
        "encoding": encoding,
        "definition": json.dumps(AVRO),
        "named_types": {"shop.Order": Order},
    }
    options.update(changes)
    return TopicSpec(**options)


def json_schema() -> TopicSpec[Order]:
    return TopicSpec(
        name="orders",
        model=Order,
        schema_type="JSON_SCHEMA",
        encoding="JSON",
        definition=json.dumps(JSON_SCHEMA),
    )


# The writer's identity: CRC-64-AVRO of the Parsing Canonical Form, as fastavro computes it.
FINGERPRINT = {
    "avro-fingerprint": fastavro.schema.fingerprint(
        fastavro.schema.to_parsing_canonical_form(AVRO), "CRC-64-AVRO"
    )
}
SPECS = {"avro-binary": avro("BINARY"), "avro-json": avro("JSON"), "json-schema": json_schema()}


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (
            SPECS["avro-binary"],
            {"content-type": "application/avro", "avro-encoding": "BINARY", **FINGERPRINT},
        ),
        (
            SPECS["avro-json"],
            {"content-type": "application/json", "avro-encoding": "JSON", **FINGERPRINT},
        ),
        (SPECS["json-schema"], {"content-type": "application/json"}),
    ],
    ids=["avro-binary", "avro-json", "json-schema"],
)
def test_attributes_describe_the_payload(spec: TopicSpec[Order], expected: dict[str, str]) -> None:
    assert dict(spec.attributes) == expected
    with pytest.raises(TypeError):
        spec.attributes["content-type"] = "text/plain"  # type: ignore[index]


@pytest.mark.parametrize("spec", SPECS.values(), ids=SPECS.keys())
def test_every_codec_round_trips(spec: TopicSpec[Order]) -> None:
    decoded = spec.decode(spec.encode(ORDER))
    assert isinstance(decoded, Order)
    assert decoded == ORDER


def test_a_spec_is_immutable() -> None:
    spec = avro("JSON")
    with pytest.raises(AttributeError):
        spec.name = "other"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del spec.encoding
    assert spec.name == "orders"
    assert "orders" in repr(spec)
    assert json.dumps(AVRO) not in repr(spec)


def test_a_spec_survives_pickling_and_copying() -> None:
    spec = avro("BINARY")
    for clone in (pickle.loads(pickle.dumps(spec)), copy.deepcopy(spec)):
        assert (clone.name, clone.encoding, clone.definition) == (
            "orders",
            "BINARY",
            spec.definition,
        )
        assert clone.decode(spec.encode(ORDER)) == ORDER


def test_the_spec_is_generic_in_its_model() -> None:
    spec: TopicSpec[Order] = TopicSpec[Order](
        name="orders", model=Order, schema_type="AVRO", definition=json.dumps(AVRO)
    )
    assert spec.decode(spec.encode(ORDER)) == ORDER


@pytest.mark.parametrize(
    "options",
    [
        {"schema_type": "PROTOCOL_BUFFER"},
        {"encoding": "XML"},
        {"schema_type": "JSON_SCHEMA", "encoding": "BINARY"},
    ],
)
def test_unknown_schema_types_and_encodings_are_refused(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        avro(options.pop("encoding", "JSON"), **options)


def test_names_are_case_insensitive() -> None:
    spec = avro("binary", schema_type="avro")
    assert (spec.schema_type, spec.encoding) == ("AVRO", "BINARY")


def test_importing_and_declaring_a_spec_compiles_nothing() -> None:
    code = (
        "import sys, json; from pubsub_runtime import TopicSpec; from pydantic import BaseModel\n"
        "class M(BaseModel):\n    x: int\n"
        "TopicSpec(name='t', model=M, schema_type='AVRO', definition='not even json')\n"
        "assert 'fastavro' not in sys.modules, 'fastavro imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_prepare_compiles_now_and_reports_a_broken_definition() -> None:
    avro("JSON").prepare()
    with pytest.raises(ValueError, match="cannot build the AVRO JSON codec"):
        avro("JSON", definition="{not json").prepare()


def test_a_broken_definition_still_raises_only_the_codec_errors() -> None:
    spec = avro("BINARY", definition=json.dumps({"type": "record", "name": "X"}))
    with pytest.raises(DecodeError):
        spec.decode(b"")
    with pytest.raises(EncodeError):
        spec.encode(ORDER)


def test_a_model_that_does_not_fit_the_schema_is_reported() -> None:
    class Short(BaseModel):
        orderId: str

    spec = avro("JSON", model=Short, named_types={})
    with pytest.raises(ValueError, match=r"missing fields \['quantity'"):
        spec.prepare()


def test_named_types_must_name_types_of_the_schema() -> None:
    with pytest.raises(ValueError, match="does not define"):
        avro("JSON", named_types={"shop.Nope": Order}).prepare()


@pytest.mark.parametrize("encoding", ["JSON", "BINARY"])
def test_decode_honours_the_encoding_pubsub_reports(encoding: str) -> None:
    other = "BINARY" if encoding == "JSON" else "JSON"
    data = avro(other).encode(ORDER)
    assert avro(encoding).decode(data, encoding=other) == ORDER
    assert (
        avro(encoding).decode(avro(encoding).encode(ORDER), encoding="ENCODING_UNSPECIFIED")
        == ORDER
    )


@pytest.mark.parametrize("encoding", ["BINARY", "PROTO", "avro"])
def test_a_json_schema_topic_decodes_json_only(encoding: str) -> None:
    with pytest.raises(DecodeError):
        json_schema().decode(json_schema().encode(ORDER), encoding=encoding)


@pytest.mark.parametrize("spec", SPECS.values(), ids=SPECS.keys())
def test_encode_validates_what_is_not_a_model_instance(spec: TopicSpec[Order]) -> None:
    as_dict = ORDER.model_dump(by_alias=True)
    assert spec.encode(as_dict) == spec.encode(ORDER)  # type: ignore[arg-type]
    with pytest.raises(EncodeError) as caught:
        spec.encode({"orderId": "o-1"})  # type: ignore[arg-type]
    assert caught.value.topic == "orders"
    assert isinstance(caught.value.__cause__, ValidationError)


@pytest.mark.parametrize("spec", SPECS.values(), ids=SPECS.keys())
@pytest.mark.parametrize(
    "data",
    [b"", b"\x00", b"\xff" * 64, b"garbage that is not a message", b'{"orderId": 1}', b"[]"],
)
def test_garbage_raises_decode_error_with_topic_and_reason(
    spec: TopicSpec[Order], data: bytes
) -> None:
    with pytest.raises(DecodeError) as caught:
        spec.decode(data)
    assert caught.value.topic == "orders"
    assert caught.value.reason
    assert "\n" not in caught.value.reason


def test_binary_with_bytes_left_over_is_refused() -> None:
    spec = avro("BINARY")
    with pytest.raises(DecodeError, match="left after"):
        spec.decode(spec.encode(ORDER) + b"\x00")


def test_truncated_binary_is_refused() -> None:
    spec = avro("BINARY")
    data = spec.encode(ORDER)
    for end in range(len(data)):
        with pytest.raises(DecodeError):
            spec.decode(data[:end])


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=64))
@pytest.mark.parametrize("spec", SPECS.values(), ids=SPECS.keys())
def test_random_bytes_decode_or_raise_decode_error(spec: TopicSpec[Order], data: bytes) -> None:
    with contextlib.suppress(DecodeError):
        assert isinstance(spec.decode(data), Order)


def test_decode_accepts_bytearray_and_memoryview() -> None:
    for spec in SPECS.values():
        data = spec.encode(ORDER)
        assert spec.decode(bytearray(data)) == ORDER  # type: ignore[arg-type]
        assert spec.decode(memoryview(data)) == ORDER  # type: ignore[arg-type]


# -- Duration ----------------------------------------------------------------------------------


def test_duration_keeps_months_days_and_milliseconds_apart() -> None:
    duration = Duration(months=1, days=40, milliseconds=5)
    assert Duration.from_bytes(duration.to_bytes()) == duration
    assert len(duration.to_bytes()) == 12


def test_duration_converts_to_and_from_timedelta() -> None:
    span = dt.timedelta(days=3, hours=4, milliseconds=7)
    duration = Duration.from_timedelta(span)
    assert (duration.months, duration.days) == (0, 3)
    assert duration.to_timedelta() == span


@pytest.mark.parametrize(
    "span", [dt.timedelta(seconds=-1), dt.timedelta(microseconds=1500)], ids=["negative", "micros"]
)
def test_duration_refuses_timedeltas_it_cannot_hold(span: dt.timedelta) -> None:
    with pytest.raises(ValueError):
        Duration.from_timedelta(span)


def test_a_duration_with_months_is_not_a_timedelta() -> None:
    with pytest.raises(ValueError, match="months"):
        Duration(months=1).to_timedelta()


def test_duration_fields_are_unsigned_32_bit() -> None:
    Duration(months=2**32 - 1)
    for bad in ({"months": 2**32}, {"days": -1}):
        with pytest.raises(ValidationError):
            Duration(**bad)


def test_duration_is_a_frozen_field_type_that_takes_a_timedelta() -> None:
    class Lease(BaseModel):
        length: Duration

    lease = Lease.model_validate({"length": dt.timedelta(days=2)})
    assert lease.length == Duration(days=2)
    assert Lease.model_validate_json(lease.model_dump_json()) == lease
    with pytest.raises(ValidationError):
        lease.length.days = 3  # type: ignore[misc]


def test_an_encoding_is_checked_on_every_message_until_it_decodes() -> None:
    spec = avro("JSON")
    data = spec.encode(ORDER)
    for _ in range(2):  # a refused encoding is not remembered as decodable
        with pytest.raises(DecodeError, match="cannot decode 'XML'"):
            spec.decode(data, encoding="XML")
    for _ in range(2):  # an accepted one is, in the spelling given
        assert spec.decode(data, encoding="json") == ORDER
        assert spec.decode(data, encoding="ENCODING_UNSPECIFIED") == ORDER
        assert spec.decode(data) == ORDER
