"""The Avro JSON codec: the shapes Pub/Sub expects, and decoding that checks the schema."""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, Field

from pubsub_runtime import DecodeError, EncodeError, TopicSpec


class Avro(BaseModel):
    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True)


class Inner(Avro):
    n: int


class Other(Avro):
    n: int


class Event(Avro):
    id: int
    name: str
    note: str | None
    when: dt.datetime
    data: bytes
    score: float
    choice: Inner | Other | None
    tags: list[str]
    counts: dict[str, int]
    first_name: str = Field(alias="firstName")


SCHEMA = {
    "type": "record",
    "name": "Event",
    "namespace": "ev",
    "fields": [
        {"name": "id", "type": "int"},
        {"name": "name", "type": "string"},
        {"name": "note", "type": ["null", "string"], "default": None},
        {"name": "when", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "data", "type": "bytes"},
        {"name": "score", "type": "double"},
        {
            "name": "choice",
            "type": [
                "null",
                {"type": "record", "name": "Inner", "fields": [{"name": "n", "type": "int"}]},
                {"type": "record", "name": "Other", "fields": [{"name": "n", "type": "int"}]},
            ],
        },
        {"name": "tags", "type": {"type": "array", "items": "string"}},
        {"name": "counts", "type": {"type": "map", "values": "int"}},
        {"name": "firstName", "type": "string"},
    ],
}
SPEC = TopicSpec(
    name="events",
    model=Event,
    schema_type="AVRO",
    encoding="JSON",
    definition=json.dumps(SCHEMA),
    named_types={"ev.Event": Event, "ev.Inner": Inner, "ev.Other": Other},
)
EVENT = Event(
    id=1,
    name="n",
    note="hi",
    when=dt.datetime(2024, 1, 1, 0, 0, 0, 5000, tzinfo=dt.UTC),
    data=b"\x00\xe9\xff",
    score=2.5,
    choice=Other(n=3),
    tags=["a"],
    counts={"x": 1},
    firstName="Ada",
)


def wire() -> dict[str, Any]:
    return json.loads(SPEC.encode(EVENT))  # type: ignore[no-any-return]


def decode_error(payload: Any) -> str:
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    with pytest.raises(DecodeError) as caught:
        SPEC.decode(data)
    assert caught.value.topic == "events"
    assert "\n" not in caught.value.reason
    return caught.value.reason


def test_union_values_are_wrapped_in_their_branch_name() -> None:
    payload = wire()
    assert payload["note"] == {"string": "hi"}
    assert payload["choice"] == {"ev.Other": {"n": 3}}


def test_null_in_a_union_is_plain_null() -> None:
    payload = json.loads(SPEC.encode(EVENT.model_copy(update={"note": None, "choice": None})))
    assert payload["note"] is None
    assert payload["choice"] is None


def test_timestamps_are_numbers_and_bytes_are_code_points() -> None:
    payload = wire()
    assert payload["when"] == 1704067200005
    assert payload["data"] == "\u0000\u00e9\u00ff"


def test_fields_are_written_by_wire_name_in_schema_order_compactly() -> None:
    data = SPEC.encode(EVENT)
    assert list(json.loads(data)) == [f["name"] for f in SCHEMA["fields"]]  # type: ignore[index]
    assert b" " not in data


def test_fields_may_come_in_any_order_and_unknown_fields_are_ignored() -> None:
    payload = dict(reversed(list(wire().items())))
    payload["unknown"] = {"anything": [1]}
    assert SPEC.decode(json.dumps(payload).encode()) == EVENT


def test_an_integral_float_is_taken_for_an_int() -> None:
    payload = {**wire(), "id": 1.0}
    assert SPEC.decode(json.dumps(payload).encode()).id == 1


def test_an_aware_timestamp_in_another_zone_is_the_same_instant() -> None:
    zone = dt.timezone(dt.timedelta(hours=2))
    moved = EVENT.model_copy(update={"when": EVENT.when.astimezone(zone)})
    assert SPEC.encode(moved) == SPEC.encode(EVENT)


def test_a_naive_timestamp_is_taken_as_utc() -> None:
    naive = EVENT.model_copy(update={"when": EVENT.when.replace(tzinfo=None)})
    assert SPEC.encode(naive) == SPEC.encode(EVENT)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"note": "hi"}, "note"),  # a union value not wrapped
        ({"note": {"str": "hi"}}, "'str' is not a branch"),
        ({"choice": {"Other": {"n": 1}}}, "'Other' is not a branch"),  # full names only
        ({"choice": {"ev.Inner": {"n": "1"}}}, "choice<ev.Inner>.n: expected int"),
        ({"id": "1"}, "id: expected int"),
        ({"id": 2**31}, "out of the int range"),
        ({"id": 1.5}, "id: expected int"),
        ({"id": True}, "id: expected int"),
        ({"name": None}, "name: expected a string"),
        ({"score": "NaN"}, "score: expected a number"),
        ({"data": "\u0100"}, "data: bytes are code points 0-255"),
        ({"tags": ["a", 1]}, "tags[1]: expected a string"),
        ({"tags": "a"}, "tags: expected an array"),
        ({"counts": {"x": "1"}}, "counts['x']: expected int"),
        ({"when": "2024-01-01T00:00:00Z"}, "when"),
        ({"choice": {"ev.Inner": {"n": 1}, "ev.Other": {"n": 1}}}, "choice"),
    ],
)
def test_values_that_do_not_match_the_schema_are_refused(
    change: dict[str, Any], expected: str
) -> None:
    assert expected in decode_error({**wire(), **change})


def test_a_missing_field_is_refused_even_when_it_has_a_default() -> None:
    payload = wire()
    del payload["note"]
    assert "missing field 'note'" in decode_error(payload)


@pytest.mark.parametrize(
    "data", [b"", b"{", b"\xff\xfe\x00", b"[1, 2]", b"null", b"NaN", b'"text"', b"\x00" * 8]
)
def test_bytes_that_are_not_a_json_record_raise_decode_error(data: bytes) -> None:
    decode_error(data)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_nan_and_infinity_cannot_be_written_as_avro_json(value: float) -> None:
    with pytest.raises(EncodeError) as caught:
        SPEC.encode(EVENT.model_copy(update={"score": value}))
    assert caught.value.topic == "events"


class Link(Avro):
    value: int
    next: Link | None


def test_a_recursive_schema_encodes_and_decodes() -> None:
    # fastavro's JSON writer and reader recurse forever on such a schema
    schema = {
        "type": "record",
        "name": "Link",
        "fields": [{"name": "value", "type": "long"}, {"name": "next", "type": ["null", "Link"]}],
    }
    spec = TopicSpec(
        name="links",
        model=Link,
        schema_type="AVRO",
        encoding="JSON",
        definition=json.dumps(schema),
        named_types={"Link": Link},
    )
    chain = None
    for value in range(100):
        chain = Link(value=value, next=chain)
    assert chain is not None
    data = spec.encode(chain)
    assert json.loads(data)["next"]["Link"]["value"] == 98
    assert spec.decode(data) == chain


class Wrapper(Avro):
    inner: Inner
    items: list[Inner]
    maybe: Inner | None = None


WRAPPER_SCHEMA = {
    "type": "record",
    "name": "Wrapper",
    "namespace": "ev",
    "fields": [
        {
            "name": "inner",
            "type": {"type": "record", "name": "Inner", "fields": [{"name": "n", "type": "int"}]},
        },
        {"name": "items", "type": {"type": "array", "items": "Inner"}},
        {"name": "maybe", "type": ["null", "Inner"], "default": None},
    ],
}


def wrapper_spec() -> TopicSpec[Wrapper]:
    """No named_types: every record class is found from the values and compiled on sight."""
    return TopicSpec(
        name="wrapped",
        model=Wrapper,
        schema_type="AVRO",
        encoding="JSON",
        definition=json.dumps(WRAPPER_SCHEMA),
        named_types={},
    )


def test_nested_classes_left_out_of_named_types_are_found_from_the_values() -> None:
    spec = wrapper_spec()
    sent = Wrapper(inner=Inner(n=1), items=[Inner(n=2), Inner(n=3)], maybe=Inner(n=4))
    payload = json.loads(spec.encode(sent))
    assert payload == {
        "inner": {"n": 1},
        "items": [{"n": 2}, {"n": 3}],
        "maybe": {"ev.Inner": {"n": 4}},
    }


def test_a_model_that_serializes_differently_still_writes_avro_json() -> None:
    # The encoder compiles its own serializer: a model's custom JSON settings do not leak in.
    class Stamped(Avro):
        model_config = ConfigDict(ser_json_bytes="base64", ser_json_timedelta="float")
        when: dt.datetime
        data: bytes

    schema = {
        "type": "record",
        "name": "Stamped",
        "fields": [
            {"name": "when", "type": {"type": "long", "logicalType": "timestamp-micros"}},
            {"name": "data", "type": "bytes"},
        ],
    }
    spec = TopicSpec(
        name="stamped",
        model=Stamped,
        schema_type="AVRO",
        encoding="JSON",
        definition=json.dumps(schema),
    )
    sent = Stamped(when=dt.datetime(1970, 1, 1, 0, 0, 1, 5, tzinfo=dt.UTC), data=b"\x01\xfe")
    assert json.loads(spec.encode(sent)) == {"when": 1_000_005, "data": "\x01\xfe"}
    assert spec.decode(spec.encode(sent)) == sent


def test_first_use_from_many_threads_compiles_once_and_agrees() -> None:
    from concurrent.futures import ThreadPoolExecutor

    spec = wrapper_spec()
    sent = Wrapper(inner=Inner(n=1), items=[Inner(n=2)], maybe=Inner(n=3))
    with ThreadPoolExecutor(8) as pool:
        results = set(pool.map(lambda _: spec.encode(sent), range(64)))
    assert len(results) == 1
    assert spec.decode(results.pop()) == sent
