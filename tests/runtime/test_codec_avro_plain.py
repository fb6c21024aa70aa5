"""The fast way the binary codec decodes, held to the exact way (and so to fastavro).

``AvroBinaryCodec`` first reads a message with the schema's logical types left out and
converts their values itself (with fastavro's readers), keeping a ``uuid`` string for pydantic
to parse; anything that fails there is decoded again the exact way (fastavro's logical reading,
then ``model_validate``). So the fast way must never accept what the exact way refuses, and
must build an equal model (with equal types) whenever it accepts. These tests check that on
every catalogued case and on random, damaged and hand-made messages.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
from typing import Any
from uuid import UUID

import fastavro
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, Field, field_validator
from test_codec_avro import CASES, SAMPLES, Case, fastavro_bytes, record
from test_codec_avro_hypothesis import LONG, RUNS, STRATEGIES

from pubsub_runtime import DecodeError, TopicSpec
from pubsub_runtime._codecs import avro
from pubsub_runtime._codecs.avro_binary import _POSITIONAL, AvroBinaryCodec


def codec_of(spec: TopicSpec[Any]) -> AvroBinaryCodec:
    codec = spec._codec("BINARY")
    assert isinstance(codec, AvroBinaryCodec)
    return codec


def exact(codec: AvroBinaryCodec, data: bytes) -> Any:
    return codec._decode_exact(data)


def same_or_both_refused(codec: AvroBinaryCodec, data: bytes) -> None:
    """The fast way accepts only what the exact way accepts, and builds the same model."""
    assert codec._plain is not None
    try:
        fast = codec._plain(data)
    except Exception:
        return  # the codec falls back to the exact way: nothing to compare
    slow = exact(codec, data)  # must not raise: the fast way accepted it
    # a damaged float can be NaN, which equals nothing: then the reprs are compared
    assert fast == slow or repr(fast) == repr(slow)
    assert type(fast) is type(slow)
    assert _types(fast) == _types(slow)
    assert fast.model_fields_set == slow.model_fields_set


def _types(model: BaseModel) -> dict[str, Any]:
    return {name: type(getattr(model, name)) for name in type(model).model_fields}


def test_every_catalogued_case_takes_the_fast_way() -> None:
    for case in CASES:
        assert codec_of(case.spec("BINARY"))._plain is not None, case.id


@pytest.mark.parametrize(("case", "index"), SAMPLES)
def test_the_fast_way_decodes_fastavros_bytes_as_the_exact_way(case: Case, index: int) -> None:
    model, datum = case.samples[index]
    codec = codec_of(case.spec("BINARY"))
    data = fastavro_bytes(case, datum)
    assert codec._plain is not None
    fast = codec._plain(data)  # no fallback on a good message
    assert fast == exact(codec, data) == model
    assert _types(fast) == _types(model)


@pytest.mark.parametrize("case_id", list(STRATEGIES))
def test_random_records_decode_the_same_both_ways(case_id: str) -> None:
    case = next(c for c in CASES if c.id == case_id)
    spec = case.spec("BINARY")
    codec = codec_of(spec)

    @RUNS
    @given(model=STRATEGIES[case_id])
    def check(model: BaseModel) -> None:
        data = spec.encode(model)
        assert codec._plain is not None
        assert codec._plain(data) == exact(codec, data) == model

    check()


@pytest.mark.parametrize("case_id", ["logical", "unions", "primitives"])
def test_damaged_messages_are_refused_by_the_fast_way_or_decoded_the_same(case_id: str) -> None:
    case = next(c for c in CASES if c.id == case_id)
    spec = case.spec("BINARY")
    codec = codec_of(spec)

    @RUNS
    @given(
        model=STRATEGIES[case_id],
        position=st.integers(0, 10_000),
        byte=st.integers(0, 255),
        cut=st.booleans(),
    )
    def check(model: BaseModel, position: int, byte: int, cut: bool) -> None:
        data = bytearray(spec.encode(model))
        data[position % len(data)] = byte
        damaged = bytes(data[: position % len(data)] if cut else data)
        same_or_both_refused(codec, damaged)
        with contextlib.suppress(DecodeError):
            spec.decode(damaged)

    check()


# -- fastavro's reading, prepared once ------------------------------------------------------


def _added_field(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` as a later revision: a field added with a default, a resolution to do."""
    fields = [*schema["fields"], {"name": "addedLater", "type": "long", "default": 7}]
    return {**schema, "fields": fields}


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "pure-python"])
@pytest.mark.parametrize(("case", "index"), SAMPLES)
def test_the_prepared_reader_reads_what_schemaless_reader_reads(
    case: Case, index: int, compiled: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not compiled:  # fastavro without its compiled reader: schemaless_reader is called
        monkeypatch.setattr(avro, "_COMPILED", None)
    _, datum = case.samples[index]
    data = fastavro_bytes(case, datum)
    writer = fastavro.parse_schema(case.schema)
    readers = [None, writer]
    if isinstance(case.schema, dict) and case.schema.get("type") == "record":
        readers.append(fastavro.parse_schema(_added_field(case.schema)))
    for reader in readers:
        for tagged in (False, True):
            prepared = avro.PreparedReader.of(writer, reader, return_named_type=tagged)
            buffer = io.BytesIO(data)
            expected = fastavro.schemaless_reader(buffer, writer, reader, return_named_type=tagged)
            again = io.BytesIO(data)
            assert prepared(again) == expected
            assert again.tell() == buffer.tell() == len(data)


# -- timestamps: the same arithmetic as fastavro's readers ---------------------------------------


@pytest.mark.parametrize("key", sorted(_POSITIONAL))
def test_timestamps_are_what_fastavros_readers_make_or_both_overflow(key: str) -> None:
    fastavros, ours = _POSITIONAL[key]

    @RUNS
    @given(value=st.one_of(LONG, st.integers(-(2**70), 2**70)))
    def check(value: int) -> None:
        try:
            expected = fastavros(value)
        except OverflowError:
            with pytest.raises(OverflowError):
                ours(value)
            return
        made = ours(value)
        assert made == expected
        assert made.tzinfo is expected.tzinfo

    check()


# -- uuid strings: pydantic parses them, uuid.UUID() would have ---------------------------------


class Tagged(BaseModel):
    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True)

    id: UUID
    maybe: UUID | None = Field(alias="maybeId")


TAGGED = record(
    "Tagged",
    ("id", {"type": "string", "logicalType": "uuid"}),
    ("maybeId", ["null", {"type": "string", "logicalType": "uuid"}]),
)
PLAIN_TAGGED = record("Tagged", ("id", "string"), ("maybeId", ["null", "string"]))


def tagged_spec(model: type[BaseModel] = Tagged) -> TopicSpec[Any]:
    return TopicSpec(
        name="tagged",
        model=model,
        schema_type="AVRO",
        encoding="BINARY",
        definition=json.dumps(TAGGED),
        named_types={"Tagged": model},
    )


def plain_bytes(text: str, maybe: str | None) -> bytes:
    buffer = io.BytesIO()
    datum = {"id": text, "maybeId": maybe}
    fastavro.schemaless_writer(buffer, fastavro.parse_schema(PLAIN_TAGGED), datum)
    return buffer.getvalue()


HEX = "0123456789abcdefABCDEF"
UUID_LIKE = st.one_of(
    st.uuids().map(str),
    st.uuids().map(lambda u: u.hex),
    st.uuids().map(lambda u: "{" + str(u) + "}"),
    st.uuids().map(lambda u: "urn:uuid:" + str(u)),
    st.uuids().map(lambda u: str(u).upper()),
    st.uuids().map(lambda u: u.hex[:5] + "-" + u.hex[5:20] + "-" + u.hex[20:]),  # misplaced
    st.text(alphabet=HEX + "-{}:urnid ", max_size=45),
)


@RUNS
@given(text=UUID_LIKE, maybe=st.one_of(st.none(), UUID_LIKE))
def test_uuid_strings_are_accepted_exactly_as_uuid_UUID_accepts_them(
    text: str, maybe: str | None
) -> None:
    spec = tagged_spec()
    codec = codec_of(spec)
    data = plain_bytes(text, maybe)
    same_or_both_refused(codec, data)
    try:
        expected: Any = Tagged(id=UUID(text), maybeId=None if maybe is None else UUID(maybe))
    except ValueError:
        expected = DecodeError
    if expected is DecodeError:
        with pytest.raises(DecodeError):
            spec.decode(data)
    else:
        decoded = spec.decode(data)
        assert decoded == expected
        assert type(decoded.id) is UUID


def test_a_model_with_a_validator_gets_the_uuid_object_it_would_get_from_fastavro() -> None:
    seen: list[Any] = []

    class Checked(Tagged):
        @field_validator("id", mode="before")
        @classmethod
        def look(cls, value: Any) -> Any:
            seen.append(value)
            return value

    spec = tagged_spec(Checked)
    value = UUID("12345678-1234-5678-1234-567812345678")
    assert spec.decode(plain_bytes(str(value), None)).id == value
    assert seen and all(type(v) is UUID for v in seen)


def test_a_uuid_field_typed_str_is_refused_as_the_exact_way_refuses_it() -> None:
    class AsText(BaseModel):
        model_config = ConfigDict(validate_by_name=True, validate_by_alias=True)
        id: str
        maybe: str | None = Field(alias="maybeId")

    spec = tagged_spec(AsText)
    with pytest.raises(DecodeError):  # fastavro makes a UUID, and a str field takes no UUID
        spec.decode(plain_bytes("12345678-1234-5678-1234-567812345678", None))


# -- schemas the plain reading cannot serve --------------------------------------------------


class LongOrTime(BaseModel):
    value: int | dt.datetime


def test_an_ambiguous_union_is_decoded_the_exact_way_only() -> None:
    millis = {"type": "long", "logicalType": "timestamp-millis"}
    schema = record("LongOrTime", ("value", ["long", millis]))
    spec = TopicSpec(
        name="long-or-time",
        model=LongOrTime,
        schema_type="AVRO",
        encoding="BINARY",
        definition=json.dumps(schema),
        named_types={"LongOrTime": LongOrTime},
    )
    assert codec_of(spec)._plain is None  # a long and a timestamp both read as an int
    moment = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    for value in (5, moment):
        buffer = io.BytesIO()
        fastavro.schemaless_writer(buffer, fastavro.parse_schema(schema), {"value": value})
        assert spec.decode(buffer.getvalue()).value == value
