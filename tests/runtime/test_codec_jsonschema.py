"""JSON Schema topics: what the codec writes validates against the schema; decode validates."""

from __future__ import annotations

import datetime as dt
import enum
import json
from typing import Any, Literal
from uuid import UUID

import pytest
from jsonschema import Draft7Validator, Draft202012Validator, FormatChecker
from pydantic import BaseModel, ConfigDict, Field, RootModel

from pubsub_runtime import DecodeError, TopicSpec

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "first-name": {"type": "string", "minLength": 1},
        "placed": {"type": "string", "format": "date-time"},
        "ship_on": {"type": "string", "format": "date"},
        "note": {"type": "string"},
        "coupon": {"type": ["string", "null"]},
        "status": {"enum": ["new", "paid"]},
        "kind": {"const": "order"},
        "lines": {"type": "array", "items": {"$ref": "#/$defs/Line"}, "minItems": 1},
        "payment": {"oneOf": [{"$ref": "#/$defs/Card"}, {"$ref": "#/$defs/Cash"}]},
        "extra": {"type": "object", "additionalProperties": {"type": "integer"}},
        "parent": {"$ref": "#/$defs/Category"},
    },
    "required": ["id", "first-name", "placed", "coupon", "status", "kind", "lines", "payment"],
    "additionalProperties": False,
    "$defs": {
        "Line": {
            "type": "object",
            "properties": {
                "sku": {"type": "string"},
                "qty": {"type": "integer", "minimum": 1},
                "gift": {"type": "boolean"},
            },
            "required": ["sku", "qty"],
            "additionalProperties": False,
        },
        "Card": {
            "type": "object",
            "properties": {"type": {"const": "card"}, "last4": {"type": "string"}},
            "required": ["type", "last4"],
        },
        "Cash": {
            "type": "object",
            "properties": {"type": {"const": "cash"}},
            "required": ["type"],
        },
        "Category": {
            "type": "object",
            "properties": {"name": {"type": "string"}, "parent": {"$ref": "#/$defs/Category"}},
            "required": ["name"],
        },
    },
}


class Status(enum.StrEnum):
    NEW = "new"
    PAID = "paid"


class Line(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: str
    qty: int = Field(ge=1)
    gift: bool | None = None


class Card(BaseModel):
    type: Literal["card"] = "card"
    last4: str


class Cash(BaseModel):
    type: Literal["cash"] = "cash"


class Category(BaseModel):
    name: str
    parent: Category | None = None


class Order(BaseModel):
    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True, extra="forbid")

    id: UUID
    first_name: str = Field(alias="first-name", min_length=1)
    placed: dt.datetime
    ship_on: dt.date | None = None
    note: str | None = None
    coupon: str | None
    status: Status
    kind: Literal["order"] = "order"
    lines: list[Line] = Field(min_length=1)
    payment: Card | Cash = Field(discriminator="type")
    extra: dict[str, int] | None = None
    parent: Category | None = None


SPEC = TopicSpec(
    name="orders", model=Order, schema_type="JSON_SCHEMA", definition=json.dumps(SCHEMA)
)
FORMATS = FormatChecker()


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    # jsonschema checks date-time only with an optional package; this is close enough here
    return not isinstance(value, str) or ("T" in value and bool(dt.datetime.fromisoformat(value)))


VALIDATOR = Draft202012Validator(SCHEMA, format_checker=FORMATS)


def order(**changes: Any) -> Order:
    values: dict[str, Any] = {
        "id": UUID("12345678-1234-5678-1234-567812345678"),
        "first-name": "Ada",
        "placed": dt.datetime(2024, 5, 1, 12, 30, tzinfo=dt.UTC),
        "coupon": None,
        "status": Status.NEW,
        "lines": [Line(sku="A", qty=1)],
        "payment": Card(last4="4242"),
    }
    values.update(changes)
    return Order.model_validate(values)


SAMPLES = {
    "minimal": order(),
    "everything": order(
        ship_on=dt.date(2024, 5, 3),
        note="ring twice",
        coupon="SPRING",
        status=Status.PAID,
        lines=[Line(sku="A", qty=2, gift=True), Line(sku="B", qty=1)],
        payment=Cash(),
        extra={"points": 5},
        parent=Category(name="food", parent=Category(name="all")),
    ),
    "optional-set-to-none": order(note=None, ship_on=None, parent=Category(name="x", parent=None)),
    "nested-optional-none": order(lines=[Line(sku="A", qty=1, gift=None)]),
}


@pytest.mark.parametrize("sample", SAMPLES.values(), ids=SAMPLES.keys())
def test_encoded_messages_validate_against_the_schema(sample: Order) -> None:
    VALIDATOR.validate(json.loads(SPEC.encode(sample)))


@pytest.mark.parametrize("sample", SAMPLES.values(), ids=SAMPLES.keys())
def test_messages_round_trip(sample: Order) -> None:
    assert SPEC.decode(SPEC.encode(sample)) == sample


def test_fields_are_written_by_alias() -> None:
    payload = json.loads(SPEC.encode(order()))
    assert payload["first-name"] == "Ada"
    assert "first_name" not in payload


def test_optional_fields_that_are_none_are_left_out_required_ones_are_null() -> None:
    payload = json.loads(SPEC.encode(SAMPLES["optional-set-to-none"]))
    assert "note" not in payload
    assert "ship_on" not in payload
    assert "parent" not in payload["parent"]
    assert payload["coupon"] is None


def test_fields_with_defaults_are_written() -> None:
    payload = json.loads(SPEC.encode(order()))
    assert payload["kind"] == "order"
    assert payload["payment"] == {"type": "card", "last4": "4242"}


def test_a_top_level_array_is_written_as_an_array() -> None:
    class Lines(RootModel[list[Line]]):
        pass

    schema = {"type": "array", "items": SCHEMA["$defs"]["Line"]}
    spec = TopicSpec(
        name="lines", model=Lines, schema_type="JSON_SCHEMA", definition=json.dumps(schema)
    )
    lines = Lines([Line(sku="A", qty=1), Line(sku="B", qty=2, gift=False)])
    payload = json.loads(spec.encode(lines))
    Draft7Validator(schema).validate(payload)
    assert payload == [{"sku": "A", "qty": 1}, {"sku": "B", "qty": 2, "gift": False}]
    assert spec.decode(spec.encode(lines)) == lines


def _valid_payload() -> dict[str, Any]:
    return json.loads(SPEC.encode(SAMPLES["everything"]))  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"first-name": None}, "/first-name: "),
        ({"first-name": ""}, "/first-name: "),
        ({"status": "lost"}, "/status: "),
        ({"lines": []}, "/lines: "),
        ({"lines": [{"sku": "A", "qty": 0}]}, "/lines/0/qty: "),
        ({"payment": {"type": "cheque"}}, "/payment: "),
        ({"placed": "yesterday"}, "/placed: "),
        ({"id": "not-a-uuid"}, "/id: "),
        ({"surprise": 1}, "/: Additional properties are not allowed ('surprise'"),
    ],
)
def test_payloads_the_schema_refuses_raise_decode_error(
    change: dict[str, Any], expected: str
) -> None:
    payload = {**_valid_payload(), **change}
    assert not VALIDATOR.is_valid(payload)
    with pytest.raises(DecodeError) as caught:
        SPEC.decode(json.dumps(payload).encode())
    assert caught.value.topic == "orders"
    assert caught.value.reason.startswith(expected)
    assert "\n" not in caught.value.reason


def test_a_missing_required_field_raises_decode_error() -> None:
    payload = _valid_payload()
    del payload["coupon"]
    assert not VALIDATOR.is_valid(payload)
    with pytest.raises(DecodeError, match='/: "coupon" is a required property'):
        SPEC.decode(json.dumps(payload).encode())


@pytest.mark.parametrize("data", [b"", b"{", b"\xff\xfe", b"[]", b"null", b"42", b"\x00" * 4])
def test_garbage_raises_decode_error(data: bytes) -> None:
    with pytest.raises(DecodeError):
        SPEC.decode(data)
