"""The sample message of each topic: valid by construction, every field set, both encodings."""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from avro_features import FEATURES
from gen_support import conformance_schemas, field, generate, imported, record, write_schemas

from pubsub_gen.render.samples_json import SampleError, json_sample
from pubsub_runtime import TopicSpec


@pytest.fixture(scope="module")
def features(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    root = tmp_path_factory.mktemp("samples")
    schemas = write_schemas(
        root / "schemas", {f"{n}.avsc": json.dumps(s) for n, s in FEATURES.items()}
    )
    generate(schemas, root / "out", package="sample_features")
    with imported(root / "out", "sample_features") as package:
        yield package


@pytest.fixture(scope="module")
def conformance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    schemas = conformance_schemas()
    root = tmp_path_factory.mktemp("samples-conformance")
    generate(schemas, root, package="sample_conformance")
    with imported(root, "sample_conformance") as package:
        yield package


def samples(package: Any) -> Any:
    return importlib.import_module(f"{package.__name__}.samples")


def sample_of(package: Any, spec: TopicSpec[Any]) -> Any:
    module = spec.model.__module__.rsplit(".", 1)[1]
    return getattr(samples(package), f"sample_{module}")()


def with_encoding(spec: TopicSpec[Any], encoding: str) -> TopicSpec[Any]:
    return TopicSpec(
        name=spec.name,
        model=spec.model,
        schema_type=spec.schema_type,
        encoding=encoding,
        definition=spec.definition,
        named_types=spec.named_types,
    )


CONFORMANCE_TOPICS = ["interop", "reserved"]
TOPICS = sorted([*FEATURES, *CONFORMANCE_TOPICS])


@pytest.mark.parametrize("topic", TOPICS)
def test_avro_samples_round_trip_in_both_encodings(
    request: pytest.FixtureRequest, topic: str
) -> None:
    package = request.getfixturevalue("conformance" if topic in CONFORMANCE_TOPICS else "features")
    spec = package.TOPICS[topic]
    sample = sample_of(package, spec)
    assert isinstance(sample, spec.model)
    for encoding in ("JSON", "BINARY"):
        twin = with_encoding(spec, encoding)
        assert twin.decode(twin.encode(sample)) == sample


def test_avro_samples_set_optional_fields_and_bound_recursion(features: Any) -> None:
    unions = sample_of(features, features.TOPICS["unions"]).model_dump()
    assert all(value is not None for value in unions.values()), "first non-null branch"
    tree = samples(features).sample_recursion()  # Tree: children, parent, by_name are Trees
    assert tree.parent is not None and len(tree.children) == 1 and len(tree.by_name) == 1
    assert tree.parent.parent is None and tree.children[0].children == [], "one level deep"
    source = Path(samples(features).__file__).read_text()
    assert "_dt.datetime(2024, 1, 15, 12, 30, 45, 123000, tzinfo=_dt.UTC)" in source
    assert "UUID(" in source and "Decimal(" in source and "Duration(" in source


def test_a_record_that_always_contains_itself_gets_a_sample_that_says_so(tmp_path: Path) -> None:
    schemas = write_schemas(
        tmp_path / "schemas",
        {
            "loop.avsc": record("Loop", field("me", "Loop")),
            "fine.avsc": record("Fine", field("x", "int")),
        },
    )
    generate(schemas, tmp_path / "out", package="loop_samples")
    with imported(tmp_path / "out", "loop_samples") as package:
        with pytest.raises(NotImplementedError, match="no finite message fits this schema"):
            samples(package).sample_loop()
        assert samples(package).sample_fine().x == 1


def valid(schema: dict[str, Any], value: Any) -> bool:
    validator = jsonschema.validators.validator_for(schema)
    return bool(validator(schema, format_checker=validator.FORMAT_CHECKER).is_valid(value))


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "string", "pattern": "^[A-Z]{2}-[0-9]{4,6}$"},
        {"type": "string", "pattern": "^(ab|cd)+x?$", "minLength": 7},
        {"type": "string", "pattern": "[^a0x]+\\d", "maxLength": 5},
        {"type": "string", "pattern": "^([a-z]+)-\\1$"},
        {"type": "string", "minLength": 12, "maxLength": 12},
        {"type": "string", "format": "email", "maxLength": 40},
        {"type": "integer", "exclusiveMinimum": 10, "exclusiveMaximum": 12},
        {"type": "integer", "minimum": 7, "multipleOf": 5},
        {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 0.5},
        {"type": "number", "minimum": -3.5, "maximum": -2},
        {"type": "array", "items": {"type": "integer"}, "minItems": 3, "uniqueItems": True},
        {"type": "array", "prefixItems": [{"type": "string"}, {"type": "boolean"}]},
        {"enum": [None, "b", "c"]},
        {"type": ["null", "object"], "additionalProperties": {"type": "integer"}},
        {
            "oneOf": [
                {"type": "object", "properties": {"a": {"type": "string"}}},
                {"type": "object", "required": ["a"], "properties": {"a": {"const": "x"}}},
            ]
        },
        {
            "$defs": {
                "Base": {"type": "object", "required": ["id"], "properties": {"id": {}}},
            },
            "allOf": [
                {"$ref": "#/$defs/Base"},
                {"type": "object", "required": ["n"], "properties": {"n": {"type": "integer"}}},
            ],
        },
        {
            "$defs": {
                "Tree": {
                    "type": "object",
                    "required": ["children"],
                    "properties": {
                        "children": {"type": "array", "items": {"$ref": "#/$defs/Tree"}},
                        "parent": {"$ref": "#/$defs/Tree"},
                    },
                }
            },
            "$ref": "#/$defs/Tree",
        },
    ],
    ids=lambda schema: json.dumps(schema)[:50],
)
def test_json_samples_satisfy_their_schema(schema: dict[str, Any]) -> None:
    value = json_sample(schema)
    assert valid(schema, value)


def test_json_samples_set_every_property_and_prefer_non_null() -> None:
    schema = {
        "type": "object",
        "required": ["a"],
        "properties": {
            "a": {"type": "string"},
            "b": {"type": ["integer", "null"]},
            "c": {"anyOf": [{"type": "null"}, {"type": "boolean"}]},
        },
    }
    assert json_sample(schema) == {"a": "a", "b": 1, "c": True}


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "string", "minLength": 5, "maxLength": 2},
        {"type": "integer", "minimum": 3, "maximum": 2},
        {
            "$defs": {"L": {"required": ["l"], "properties": {"l": {"$ref": "#/$defs/L"}}}},
            "$ref": "#/$defs/L",
        },
    ],
)
def test_json_schemas_without_a_buildable_sample_say_so(schema: dict[str, Any]) -> None:
    with pytest.raises(SampleError):
        json_sample(schema)


def test_a_json_topic_without_a_sample_still_generates(tmp_path: Path) -> None:
    impossible = {"type": "string", "minLength": 5, "maxLength": 2}
    odd = {"title": "Odd", "type": "object", "required": ["s"], "properties": {"s": impossible}}
    schemas = write_schemas(tmp_path / "schemas", {"odd.json": odd})
    generate(schemas, tmp_path / "out", package="odd_samples")
    with (
        imported(tmp_path / "out", "odd_samples") as package,
        pytest.raises(
            NotImplementedError, match=r"return one from sample_odd\(\) in samples_by_hand.py"
        ),
    ):
        samples(package).sample_odd()
