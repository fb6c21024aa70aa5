"""The cases a JSON Schema topic used to get silently wrong, each with the schema's verdict.

All topics are generated into one package, through ``pubsub_gen.generate`` as a user runs it,
and driven through their generated ``TopicSpec``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from gen_support import generate, imported, write_schemas
from pydantic import RootModel

from pubsub_runtime import DecodeError, EncodeError

D2020 = "https://json-schema.org/draft/2020-12/schema"


def topic(properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"$schema": D2020, "type": "object", "properties": properties, **extra}


SCHEMAS: dict[str, Any] = {
    "payment": topic(
        {"amount": {"allOf": [{"$ref": "#/$defs/Money"}, {"minimum": 0}]}},
        required=["amount"],
        **{"$defs": {"Money": {"type": "number"}}},
    ),
    "shipping": topic(
        {"address": {"allOf": [{"$ref": "#/$defs/Address"}, {"required": ["zip"]}]}},
        **{
            "$defs": {
                "Address": {
                    "type": "object",
                    "properties": {"street": {"type": "string"}, "zip": {"type": "string"}},
                }
            }
        },
    ),
    "keywords": topic(
        {
            "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
            "either": {"oneOf": [{"type": "integer"}, {"minimum": 2}]},
            "one": {"const": 1},
            "half": {"type": "number", "const": 0.5},
            "not_empty": {"type": "string", "not": {"const": ""}},
            "with_admin": {"type": "array", "contains": {"const": "admin"}},
            "tuple": {"type": "array", "prefixItems": [{"type": "integer"}, {"type": "string"}]},
            "count": {"type": "integer"},
            "card": {"type": "string"},
            "billing": {"type": "string"},
            "kind": {"enum": ["a", "b"]},
            "code": {"type": "string"},
        },
        dependentRequired={"card": ["billing"]},
        dependentSchemas={"billing": {"properties": {"card": {"minLength": 4}}}},
        **{
            "if": {"properties": {"kind": {"const": "a"}}, "required": ["kind"]},
            "then": {"required": ["code"]},
        },
    ),
    "lossless": topic(
        {
            "id": {"type": "string", "format": "uuid"},
            "at": {"type": "string", "format": "date-time"},
            "note": {"type": ["string", "null"]},
            "retries": {"type": "integer", "default": 3},
            "mode": {"type": "string", "default": "fast", "enum": ["fast", "slow"]},
            "old": {"type": "string", "deprecated": True},
        },
        required=["id"],
    ),
    "closed": topic({"a": {"type": "string"}}, additionalProperties=False),
    "nullable_root": {
        "$schema": D2020,
        "type": ["object", "null"],
        "properties": {"a": {"type": "integer"}},
    },
    "untyped_root": {"$schema": D2020, "properties": {"a": {"type": "integer"}}},
    "ref_root": {
        "$schema": D2020,
        "$ref": "#/$defs/Thing",
        "$defs": {"Thing": {"type": "object", "properties": {"b": {"type": "string"}}}},
    },
    "reactions": topic({"+1": {"type": "integer"}, "-1": {"type": "integer"}}),
    "either_model": topic(
        {"value": {"anyOf": [{"$ref": "#/$defs/Named"}, {"type": "object"}]}},
        **{
            "$defs": {
                "Named": {
                    "type": "object",
                    "properties": {"name": {"type": "string"}},
                    "required": ["name"],
                }
            }
        },
    ),
    "draft4": {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "type": "object",
        "properties": {"n": {"type": "number", "minimum": 0, "exclusiveMinimum": True}},
    },
    "draft6": {
        "$schema": "http://json-schema.org/draft-06/schema#",
        "type": "object",
        "properties": {"n": {"type": "number", "exclusiveMinimum": 0}},
    },
    "draftless": {
        "$schema": "http://json-schema.org/schema#",
        "type": "object",
        "properties": {"n": {"type": "integer"}},
    },
    "nested_id": topic(
        {"item": {"$id": "https://example.com/item", "$ref": "root#/$defs/I"}},
        required=["item"],
        **{"$id": "https://example.com/root", "$defs": {"I": {"type": "string"}}},
    ),
    "narrowed": topic(
        {
            "issue": {
                "allOf": [
                    {"$ref": "#/$defs/Issue"},
                    {"properties": {"closed_at": {"type": "null"}}, "required": ["closed_at"]},
                ]
            },
            "counts": {
                "type": "object",
                "propertyNames": {"pattern": "^[0-9]+$"},
                "additionalProperties": {"type": "integer"},
            },
        },
        required=["issue", "counts"],
        **{
            "$defs": {
                "Issue": {
                    "type": "object",
                    "properties": {"closed_at": {"type": ["string", "null"]}},
                }
            }
        },
    ),
}


@pytest.fixture(scope="module")
def events(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    work = tmp_path_factory.mktemp("silent")
    files = {f"{name}.json": schema for name, schema in SCHEMAS.items()}
    generate(write_schemas(work / "schemas", files), work / "out", package="silent_events")
    with imported(work / "out", "silent_events") as module:
        yield module


def decode(events: ModuleType, name: str, payload: Any) -> Any:
    return events.TOPICS[name].decode(json.dumps(payload).encode())


def rejected(events: ModuleType, name: str, payload: Any) -> bool:
    try:
        decode(events, name, payload)
    except DecodeError:
        return True
    return False


def round_trip(events: ModuleType, name: str, payload: Any) -> Any:
    spec = events.TOPICS[name]
    return json.loads(spec.encode(spec.decode(json.dumps(payload).encode())))


def test_constraints_refining_a_shared_definition_hold(events: ModuleType) -> None:
    assert rejected(events, "payment", {"amount": -1})
    assert decode(events, "payment", {"amount": 5}).amount == 5
    assert rejected(events, "shipping", {"address": {"street": "Main"}})
    assert not rejected(events, "shipping", {"address": {"street": "Main", "zip": "1000"}})


@pytest.mark.parametrize(
    ("payload", "valid"),
    [
        ({"tags": ["a", "a"]}, False),
        ({"tags": ["a", "b"]}, True),
        ({"either": 3}, False),  # matches both branches: oneOf is not anyOf
        ({"either": 1}, True),
        ({"one": True}, False),
        ({"one": 1.0}, True),
        ({"half": 99}, False),
        ({"half": 0.5}, True),
        ({"not_empty": ""}, False),
        ({"with_admin": ["user"]}, False),
        ({"with_admin": ["user", "admin"]}, True),
        ({"tuple": ["x", 1]}, False),
        ({"tuple": [1, "x", None]}, True),
        ({"card": "1234"}, False),  # dependentRequired: billing
        ({"card": "12", "billing": "x"}, False),  # dependentSchemas: card minLength 4
        ({"card": "1234", "billing": "x"}, True),
        ({"kind": "a"}, False),  # if kind is a then code is required
        ({"kind": "a", "code": "c"}, True),
        ({"count": 1.0}, True),  # JSON Schema: 1.0 is an integer
        ({"count": 1.5}, False),
    ],
)
def test_every_keyword_gets_the_schemas_verdict(
    events: ModuleType, payload: dict[str, Any], valid: bool
) -> None:
    assert rejected(events, "keywords", payload) is not valid
    if valid:
        assert round_trip(events, "keywords", payload) == payload


def test_undeclared_properties_nulls_and_format_strings_survive_a_round_trip(
    events: ModuleType,
) -> None:
    payload = {
        "id": "0F8FAD5B-D9CB-469F-A165-70867728950E",
        "at": "2024-05-01T14:30:00.5+02:00",
        "note": None,
        "surprise": {"nested": [1, 2]},
    }
    decoded = decode(events, "lossless", payload)
    assert decoded.model_extra == {"surprise": {"nested": [1, 2]}}  # reachable from the model
    assert decoded.at == payload["at"]  # the string of the wire, not a re-spelt datetime
    assert round_trip(events, "lossless", payload) == payload


def test_defaults_are_not_added_to_messages(events: ModuleType) -> None:
    spec = events.TOPICS["lossless"]
    decoded = decode(events, "lossless", {"id": "0f8fad5b-d9cb-469f-a165-70867728950e"})
    assert decoded.retries == 3 and decoded.mode == "fast"  # the model reads them
    again = json.loads(spec.encode(decoded))
    assert again == {"id": "0f8fad5b-d9cb-469f-a165-70867728950e"}
    assert spec.decode(json.dumps(again).encode()) == decoded


def test_encode_validates_models_the_schema_refuses(events: ModuleType) -> None:
    spec = events.TOPICS["lossless"]
    built = spec.model.model_construct(id="not-a-uuid")
    with pytest.raises(EncodeError, match="/id"):
        spec.encode(built)
    mutated = decode(events, "lossless", {"id": "0f8fad5b-d9cb-469f-a165-70867728950e"})
    mutated.retries = "many"
    with pytest.raises(EncodeError):
        spec.encode(mutated)
    closed = events.TOPICS["closed"]
    with pytest.raises(EncodeError, match="Additional properties"):
        closed.encode(closed.model.model_validate({"a": "x", "b": 1}))


def test_deprecated_properties_never_warn_on_encode(events: ModuleType) -> None:
    spec = events.TOPICS["lossless"]
    message = spec.model.model_validate({"id": "0f8fad5b-d9cb-469f-a165-70867728950e", "old": "x"})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert json.loads(spec.encode(message))["old"] == "x"
        spec.model.model_validate({"id": "0f8fad5b-d9cb-469f-a165-70867728950e", "note": None})
        assert "old" not in json.loads(spec.encode(decode(events, "lossless", {"id": message.id})))


def test_root_shapes_generate_models(events: ModuleType) -> None:
    nullable = events.TOPICS["nullable_root"]
    assert issubclass(nullable.model, RootModel)
    assert decode(events, "nullable_root", None).root is None
    assert decode(events, "nullable_root", {"a": 1}).root.a == 1
    # no "type": JSON Schema accepts any value, so the model does too (a union)
    assert decode(events, "untyped_root", {"a": 1}).root.a == 1
    assert decode(events, "untyped_root", "text").root == "text"
    assert rejected(events, "untyped_root", {"a": "x"})
    assert decode(events, "ref_root", {"b": "x"}).root.b == "x"


def test_colliding_wire_names_get_distinct_attributes(events: ModuleType) -> None:
    model = events.TOPICS["reactions"].model
    assert {name: field.alias for name, field in model.model_fields.items()} == {
        "field_1": "+1",
        "field_1_2": "-1",
    }
    assert round_trip(events, "reactions", {"+1": 3, "-1": 1}) == {"+1": 3, "-1": 1}


def test_a_union_value_is_the_same_built_from_python_or_decoded(events: ModuleType) -> None:
    spec = events.TOPICS["either_model"]
    for value in ({"name": "x"}, {"other": 1}):
        from_python = spec.model.model_validate({"value": value})
        assert decode(events, "either_model", {"value": value}) == from_python
        assert type(from_python.value) is type(
            decode(events, "either_model", {"value": value}).value
        )


@pytest.mark.parametrize(
    ("name", "bad", "good"),
    [
        ("draft4", {"n": 0}, {"n": 0.5}),  # draft 4: exclusiveMinimum is a flag on minimum
        ("draft6", {"n": 0}, {"n": 1}),
        ("draftless", {"n": "1"}, {"n": 1}),  # $schema without a draft number: the latest
    ],
)
def test_every_draft_is_read_by_its_own_rules(
    events: ModuleType, name: str, bad: Any, good: Any
) -> None:
    assert rejected(events, name, bad)
    assert round_trip(events, name, good) == good


def test_samples_cover_nested_ids_null_narrowing_and_key_patterns(events: ModuleType) -> None:
    import importlib

    samples = importlib.import_module("silent_events.samples")
    for name in ("nested_id", "narrowed"):
        spec = events.TOPICS[name]
        message = getattr(samples, f"sample_{name}")()
        assert spec.decode(spec.encode(message)) == message
    narrowed = samples.sample_narrowed()
    assert narrowed.issue.closed_at is None
    assert all(key.isdigit() for key in narrowed.counts)


def test_generated_package_is_written_under_its_folder(tmp_path: Path) -> None:
    # A schema that does not say "type" at the root still gets a payload class of its name.
    generate(
        write_schemas(tmp_path / "schemas", {"untyped.json": SCHEMAS["untyped_root"]}),
        tmp_path / "out",
        package="one",
    )
    assert "class Untyped(RootModel[" in (tmp_path / "out" / "one" / "untyped.py").read_text()


def test_a_sample_the_generator_cannot_build_comes_from_the_documented_hook(
    tmp_path: Path,
) -> None:
    lookahead = topic(
        {"code": {"type": "string", "pattern": "^(?=.*[0-9])[a-z0-9]{4}$"}}, required=["code"]
    )
    write_schemas(tmp_path / "schemas", {"codes.json": lookahead})
    options = ["--out", "out", "--package", "hooked"]
    generated = subprocess.run(
        [sys.executable, "-m", "pubsub_gen", "generate", "schemas", *options],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert generated.returncode == 0, generated.stderr
    assert "note: no sample built for schemas/codes.json" in generated.stderr
    assert "sample_codes() in samples_by_hand.py" in generated.stderr

    def generated_tests() -> subprocess.CompletedProcess[str]:
        options = ["-p", "no:cacheprovider", "-o", "asyncio_mode=auto"]
        options += ["-o", "asyncio_default_fixture_loop_scope=function"]
        return subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-rs", *options, "hooked"],
            cwd=tmp_path / "out",
            capture_output=True,
            text=True,
        )

    skipped = generated_tests()
    assert skipped.returncode == 0, skipped.stdout
    assert "4 skipped" in skipped.stdout and "samples_by_hand.py" in skipped.stdout
    (tmp_path / "out" / "hooked" / "samples_by_hand.py").write_text(
        'def sample_codes() -> dict[str, str]:\n    return {"code": "ab12"}\n'
    )
    passed = generated_tests()
    assert passed.returncode == 0 and "4 passed" in passed.stdout, passed.stdout
