"""``TopicSpec.decode(data, attributes=...)``: messages decode with the revision that wrote them.

The judge is fastavro's own reader/writer resolution (``schemaless_reader(writer, reader)``).
"""

from __future__ import annotations

import io
import json
from enum import StrEnum
from typing import Any

import fastavro
import pytest
from pydantic import BaseModel

from pubsub_runtime import (
    DecodeError,
    TopicSpec,
    UnknownWriterSchema,
    schema_fingerprint,
)

V1 = {
    "type": "record",
    "name": "Reading",
    "fields": [
        {"name": "sensor", "type": "string"},
        {"name": "seq", "type": "long"},
        {"name": "value", "type": "long"},
    ],
}
# check-compat --mode backward: compatible (seq removed, unit_id added with a default)
V2 = {
    "type": "record",
    "name": "Reading",
    "fields": [
        {"name": "sensor", "type": "string"},
        {"name": "value", "type": "long"},
        {"name": "unit_id", "type": "long", "default": 0},
    ],
}


class ReadingV1(BaseModel):
    sensor: str
    seq: int
    value: int


class ReadingV2(BaseModel):
    sensor: str
    value: int
    unit_id: int


def spec(model: type[BaseModel], schema: dict[str, Any], encoding: str, **extra: Any) -> Any:
    return TopicSpec(
        name="readings",
        model=model,
        schema_type="AVRO",
        encoding=encoding,
        definition=json.dumps(schema),
        **extra,
    )


def with_v1(encoding: str) -> Any:
    return spec(
        ReadingV2, V2, encoding, writer_schemas={schema_fingerprint(json.dumps(V1)): json.dumps(V1)}
    )


@pytest.mark.parametrize("encoding", ["BINARY", "JSON"])
def test_the_silent_shift_case_decodes_to_the_true_values(encoding: str) -> None:
    old = spec(ReadingV1, V1, encoding)
    data = old.encode(ReadingV1(sensor="s-1", seq=7, value=42))
    decoded = with_v1(encoding).decode(data, attributes=old.attributes)
    assert decoded == ReadingV2(sensor="s-1", value=42, unit_id=0)
    buffer = io.BytesIO()
    fastavro.schemaless_writer(
        buffer, fastavro.parse_schema(V1), {"sensor": "s-1", "seq": 7, "value": 42}
    )
    judged = fastavro.schemaless_reader(
        io.BytesIO(buffer.getvalue()), fastavro.parse_schema(V1), fastavro.parse_schema(V2)
    )
    assert decoded.model_dump() == judged


def test_without_an_identity_today_s_schema_reads_the_message() -> None:
    old = spec(ReadingV1, V1, "BINARY")
    data = old.encode(ReadingV1(sensor="s-1", seq=7, value=42))
    # no attribute names the writer: read as today's schema, as before (the shift Avro warns of)
    assert with_v1("BINARY").decode(data) == ReadingV2(sensor="s-1", value=7, unit_id=42)


@pytest.mark.parametrize(
    "attributes",
    [
        {"googclient_schemarevisionid": "rev-unknown"},
        {"avro-fingerprint": "0123456789abcdef"},
        {"googclient_schemarevisionid": "rev-unknown", "avro-fingerprint": "0123456789abcdef"},
    ],
)
def test_an_unknown_writer_is_a_decode_error_never_a_guess(attributes: dict[str, str]) -> None:
    data = spec(ReadingV2, V2, "BINARY").encode(ReadingV2(sensor="s", value=1, unit_id=2))
    with pytest.raises(UnknownWriterSchema) as caught:
        with_v1("BINARY").decode(data, attributes=attributes)
    assert isinstance(caught.value, DecodeError)
    for named in attributes.values():
        assert named in str(caught.value)


def test_a_registry_revision_id_picks_its_recorded_writer() -> None:
    v1, v2 = json.dumps(V1), json.dumps(V2)
    reader = spec(
        ReadingV2,
        V2,
        "BINARY",
        writer_schemas={schema_fingerprint(v1): v1},
        revision_ids={"r1": schema_fingerprint(v1), "r2": schema_fingerprint(v2)},
    )
    old = spec(ReadingV1, V1, "BINARY").encode(ReadingV1(sensor="s", seq=1, value=5))
    new = reader.encode(ReadingV2(sensor="s", value=5, unit_id=3))
    revision = "googclient_schemarevisionid"
    assert reader.decode(old, attributes={revision: "r1"}) == ReadingV2(
        sensor="s", value=5, unit_id=0
    )
    assert reader.decode(new, attributes={revision: "r2"}) == ReadingV2(
        sensor="s", value=5, unit_id=3
    )


def test_a_revision_learned_at_run_time_decodes_and_the_resolver_is_built_once() -> None:
    reader = spec(ReadingV2, V2, "JSON")
    data = spec(ReadingV1, V1, "JSON").encode(ReadingV1(sensor="s", seq=1, value=5))
    attributes = {"googclient_schemarevisionid": "r9"}
    with pytest.raises(UnknownWriterSchema):
        reader.decode(data, attributes=attributes)
    reader.add_revision("r9", json.dumps(V1))
    assert reader.decode(data, attributes=attributes) == ReadingV2(sensor="s", value=5, unit_id=0)
    built = dict(reader._resolvers)
    reader.decode(data, attributes=attributes)
    # kept by the encoding given (here none) and the one it stands for: one resolver
    assert reader._resolvers == built and len({id(r) for r in built.values()}) == 1


class Method(StrEnum):
    CARD = "CARD"
    TRANSFER = "TRANSFER"


class MethodV2(StrEnum):
    CARD = "CARD"
    TRANSFER = "TRANSFER"
    WALLET = "WALLET"


def _docs_schema(name: str) -> dict[str, Any]:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "docs_src" / "how_to" / "evolve"
    return json.loads((root / name / "payment_received.avsc").read_text())  # type: ignore[no-any-return]


class PaymentV1(BaseModel):
    paymentId: str
    amountCents: int
    method: Method


class PaymentV2(BaseModel):
    paymentId: str
    amountCents: int
    method: MethodV2
    reference: str | None


@pytest.mark.parametrize("encoding", ["BINARY", "JSON"])
def test_the_docs_safe_change_reads_v1_messages(encoding: str) -> None:
    # The first report: v1 -> v2_safe failed in both encodings.
    v1, v2 = _docs_schema("v1"), _docs_schema("v2_safe")
    old = spec(PaymentV1, v1, encoding, named_types={"com.example.payments.Method": Method})
    new = spec(
        PaymentV2,
        v2,
        encoding,
        named_types={"com.example.payments.Method": MethodV2},
        writer_schemas={schema_fingerprint(json.dumps(v1)): json.dumps(v1)},
    )
    data = old.encode(PaymentV1(paymentId="p-1", amountCents=250, method=Method.TRANSFER))
    decoded = new.decode(data, attributes=old.attributes)
    assert decoded == PaymentV2(
        paymentId="p-1", amountCents=250, method=MethodV2.TRANSFER, reference=None
    )


class Doc(BaseModel):
    id: str
    note: str | None = None


def test_json_schema_topics_accept_attributes_and_read_old_messages() -> None:
    # v2 adds an optional property and relaxes a bound: backward compatible for check-compat
    v2 = {
        "type": "object",
        "properties": {"id": {"type": "string", "maxLength": 20}, "note": {"type": "string"}},
        "required": ["id"],
    }
    reader = TopicSpec(name="docs", model=Doc, schema_type="JSON_SCHEMA", definition=json.dumps(v2))
    old_message = json.dumps({"id": "0123456789"}).encode()  # written under maxLength 10
    attributes = {"content-type": "application/json", "googclient_schemarevisionid": "r1"}
    assert reader.decode(old_message, attributes=attributes) == Doc(id="0123456789")


class Inner(BaseModel):
    x: int
    y: bytes


class Outer(BaseModel):
    u: Inner
    raw: bytes


@pytest.mark.parametrize("encoding", ["BINARY", "JSON"])
def test_a_writer_union_read_into_its_record_branch_and_a_bytes_default(encoding: str) -> None:
    inner = {"type": "record", "name": "Inner", "fields": [{"name": "x", "type": "int"}]}
    writer = {"type": "record", "name": "Outer", "fields": [{"name": "u", "type": ["null", inner]}]}
    grown = {
        **inner,
        "fields": [*inner["fields"], {"name": "y", "type": "bytes", "default": "\u00ff"}],
    }
    reader = {
        "type": "record",
        "name": "Outer",
        "fields": [
            {"name": "u", "type": grown},
            {"name": "raw", "type": "bytes", "default": "a\u00e9"},
        ],
    }
    written = json.dumps(writer)
    new = spec(
        Outer,
        reader,
        encoding,
        named_types={"Inner": Inner},
        writer_schemas={schema_fingerprint(written): written},
    )
    parsed = fastavro.parse_schema(writer)
    if encoding == "BINARY":
        buffer = io.BytesIO()
        fastavro.schemaless_writer(buffer, parsed, {"u": {"x": 3}})
        data = buffer.getvalue()
    else:
        data = json.dumps({"u": {"Inner": {"x": 3}}}).encode()
    decoded = new.decode(data, attributes={"avro-fingerprint": schema_fingerprint(written)})
    # bytes defaults are the code points of their JSON text (Avro specification)
    assert decoded == Outer(u=Inner(x=3, y=b"\xff"), raw=b"a\xe9")
