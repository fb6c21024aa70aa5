"""Random records written by fastavro decode through the generated models and encode back
to the same bytes, through the runtime's real codecs (BINARY and JSON)."""

from __future__ import annotations

import datetime as dt
import decimal
import io
import json
import sys
from collections.abc import Iterator
from typing import Any

import fastavro
import pytest
from avro_features import FEATURES
from avro_random import AvroRandom
from gen_support import SCHEMAS, conformance_schemas, generate, imported, write_schemas

import pubsub_gen
from pubsub_runtime import DecodeError, TopicSpec

RECURSIVE = {"recursion", "mutual_recursion", "interop", "shipment-updated"}


def _specs(package: Any) -> Iterator[tuple[str, TopicSpec[Any]]]:
    for name, spec in sorted(package.TOPICS.items()):
        if spec.schema_type == "AVRO":
            yield name, spec


@pytest.fixture(scope="module")
def feature_specs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("features")
    write_schemas(root / "schemas", {f"{n}.avsc": json.dumps(s) for n, s in FEATURES.items()})
    generate(root / "schemas", root / "out", package="feature_topics")
    with imported(root / "out", "feature_topics") as package:
        yield dict(_specs(package))


@pytest.fixture(scope="module")
def example_specs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("examples")
    pubsub_gen.generate(SCHEMAS, root, package="example_topics")
    with imported(root, "example_topics") as examples:
        yield dict(_specs(examples))


@pytest.fixture(scope="module")
def conformance_specs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    schemas = conformance_schemas()
    root = tmp_path_factory.mktemp("conformance")
    generate(schemas, root, package="conformance_topics")
    with imported(root, "conformance_topics") as conformance:
        yield dict(_specs(conformance))


def _twin(spec: TopicSpec[Any], encoding: str) -> TopicSpec[Any]:
    return TopicSpec(
        name=spec.name,
        model=spec.model,
        schema_type="AVRO",
        encoding=encoding,
        definition=spec.definition,
        named_types=spec.named_types,
    )


def check_round_trips(name: str, spec: TopicSpec[Any], count: int = 40) -> None:
    schema = json.loads(spec.definition)
    parsed = fastavro.parse_schema(schema)
    binary, as_json = _twin(spec, "BINARY"), _twin(spec, "JSON")
    for index, datum in enumerate(AvroRandom(schema, seed=index_seed(name)).many(count)):
        buffer = io.BytesIO()
        fastavro.schemaless_writer(buffer, parsed, datum)
        written = buffer.getvalue()
        model = binary.decode(written)
        assert isinstance(model, spec.model)
        assert binary.encode(model) == written, f"{name} #{index}: binary bytes differ"
        encoded = as_json.encode(model)
        assert binary.encode(as_json.decode(encoded)) == written, f"{name} #{index}: via JSON"
        if name not in RECURSIVE:  # fastavro's JSON writer never ends on recursive schemas
            out = io.StringIO()
            fastavro.json_writer(out, parsed, [datum], write_union_type=True)
            assert json.loads(encoded) == json.loads(out.getvalue()), f"{name} #{index}: JSON"


def index_seed(name: str) -> int:
    return sum(map(ord, name))


@pytest.mark.parametrize("name", sorted(FEATURES))
def test_feature_round_trips(feature_specs: dict[str, Any], name: str) -> None:
    check_round_trips(name, feature_specs[name])


@pytest.mark.parametrize("name", ["order_placed", "priority_changed", "shipment-updated"])
def test_example_round_trips(example_specs: dict[str, Any], name: str) -> None:
    check_round_trips(name, example_specs[name])


@pytest.mark.parametrize("name", ["interop", "reserved"])
def test_conformance_round_trips(conformance_specs: dict[str, Any], name: str) -> None:
    check_round_trips(name, conformance_specs[name])


def test_bytes_that_do_not_match_raise_decode_error(feature_specs: dict[str, Any]) -> None:
    spec = feature_specs["primitives"]
    with pytest.raises(DecodeError):
        _twin(spec, "BINARY").decode(b"\x02")
    with pytest.raises(DecodeError):
        _twin(spec, "JSON").decode(b'{"n": null}')


def test_generated_defaults_are_the_schema_defaults(feature_specs: dict[str, Any]) -> None:
    spec = feature_specs["defaults"]
    module = sys.modules[spec.model.__module__]
    made = spec.model()
    assert made.model_dump() == {
        "i": -7,
        "f": 1.0,
        "s": "x",
        "by": b"\xff",
        "e": module.E.B,
        "arr": [1, 2],
        "m": {"k": 1},
        "u": None,
        "u2": 3,
        "r": {"a": 1, "b": module.E.A},
        "rs": [{"a": 2, "b": module.E.B}],
        "day": dt.date(2022, 1, 8),
        "ts": dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=dt.UTC),
        "dec": decimal.Decimal("12.34"),
    }
    assert spec.model() is not made and spec.model().rs is not made.rs, "fresh default values"
    # What the codec writes for the defaults is what fastavro writes for the same values.
    written = io.BytesIO()
    fastavro.schemaless_writer(
        written, fastavro.parse_schema(json.loads(spec.definition)), made.model_dump()
    )
    assert _twin(spec, "BINARY").encode(made) == written.getvalue()
