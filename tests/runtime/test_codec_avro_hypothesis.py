"""Random records round-trip through both Avro encodings; binary stays fastavro's bytes."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
from decimal import Decimal
from typing import Any

import fastavro
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from test_codec_avro import BY_ID_CASES, A, B, Logical, Node, Primitives, Unions

from pubsub_runtime import DecodeError, Duration

RUNS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
INT = st.integers(-(2**31), 2**31 - 1)
LONG = st.integers(-(2**63), 2**63 - 1)
DOUBLE = st.floats(allow_nan=False, allow_infinity=False)
FLOAT = st.floats(width=32, allow_nan=False, allow_infinity=False)


def millis(value: dt.datetime) -> dt.datetime:
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC)


primitives = st.builds(
    Primitives,
    n=st.none(),
    b=st.booleans(),
    i=INT,
    l=LONG,
    f=FLOAT,
    d=DOUBLE,
    by=st.binary(max_size=40),
    s=st.text(max_size=40),
)
a_or_b = st.one_of(st.builds(A, x=INT), st.builds(B, x=INT))
unions = st.builds(
    Unions,
    pick=st.one_of(st.none(), a_or_b),
    many=st.one_of(
        INT,
        st.text(max_size=10),
        st.builds(A, x=INT),
        st.lists(st.builds(A, x=INT), max_size=3),
        st.dictionaries(st.text(max_size=5), st.builds(B, x=INT), max_size=3),
    ),
    text=st.one_of(st.none(), st.text(max_size=10)),
    textFirst=st.one_of(st.none(), st.text(max_size=10)),
    number=st.one_of(LONG, DOUBLE),
)
nodes = st.recursive(
    st.builds(Node, label=st.text(max_size=5), children=st.just([]), next=st.none()),
    lambda inner: st.builds(
        Node,
        label=st.text(max_size=5),
        children=st.lists(inner, max_size=3),
        next=st.one_of(st.none(), inner),
    ),
    max_leaves=25,
)
datetimes = st.datetimes(min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30))
logical = st.builds(
    Logical,
    amount=st.decimals(min_value=-(10**8) + 1, max_value=10**8 - 1, places=2),
    bigAmount=st.decimals(min_value=-(10**16) + 1, max_value=10**16 - 1, places=4),
    id=st.uuids(),
    day=st.dates(),
    atMillis=st.times().map(lambda t: t.replace(microsecond=t.microsecond // 1000 * 1000)),
    atMicros=st.times(),
    tsMillis=datetimes.map(millis).map(utc),
    tsMicros=datetimes.map(utc),
    localMillis=datetimes.map(millis),
    localMicros=datetimes,
    maybeTs=st.one_of(st.none(), datetimes.map(millis).map(utc)),
    dayOrText=st.one_of(st.dates(), st.text(max_size=10)),
)
U32 = st.integers(0, 2**32 - 1)
durations = st.builds(Duration, months=U32, days=U32, milliseconds=U32)

STRATEGIES = {
    "primitives": primitives,
    "unions": unions,
    "recursive": nodes,
    "logical": logical,
    "duration": st.builds(
        BY_ID_CASES["duration"].model, period=durations, maybe=st.one_of(st.none(), durations)
    ),
}


@pytest.mark.parametrize("encoding", ["BINARY", "JSON"])
@pytest.mark.parametrize("case_id", STRATEGIES)
def test_random_records_round_trip(case_id: str, encoding: str) -> None:
    spec = BY_ID_CASES[case_id].spec(encoding)

    @RUNS
    @given(model=STRATEGIES[case_id])
    def check(model: BaseModel) -> None:
        decoded = spec.decode(spec.encode(model))
        assert decoded == model
        assert type(decoded) is type(model)

    check()


@RUNS
@given(model=primitives)
def test_random_binary_is_what_fastavro_writes(model: Primitives) -> None:
    case = BY_ID_CASES["primitives"]
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, fastavro.parse_schema(case.schema), model.model_dump())
    assert case.spec("BINARY").encode(model) == buffer.getvalue()


@RUNS
@given(model=logical)
def test_random_logical_values_read_back_by_fastavro(model: Logical) -> None:
    case = BY_ID_CASES["logical"]
    data = case.spec("BINARY").encode(model)
    datum: Any = fastavro.schemaless_reader(io.BytesIO(data), fastavro.parse_schema(case.schema))
    assert Decimal(datum["amount"]) == model.amount
    assert datum["tsMicros"] == model.ts_micros
    assert datum["localMillis"] == model.local_millis
    assert datum["dayOrText"] == model.day_or_text


@pytest.mark.parametrize("encoding", ["BINARY", "JSON"])
def test_damaged_messages_decode_or_raise_decode_error(encoding: str) -> None:
    spec = BY_ID_CASES["unions"].spec(encoding)

    @RUNS
    @given(model=unions, position=st.integers(0, 10_000), byte=st.integers(0, 255))
    def check(model: Unions, position: int, byte: int) -> None:
        data = bytearray(spec.encode(model))
        data[position % len(data)] = byte
        with contextlib.suppress(DecodeError):
            assert isinstance(spec.decode(bytes(data)), Unions)

    check()
