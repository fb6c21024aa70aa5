"""Invalid input: every problem on its own line as ``path[:pointer]: message``, nothing written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from gen_support import field, generate, record, write_schemas

from pubsub_gen import SchemaError


def problems(tmp_path: Path, files: dict[str, Any], **options: Any) -> list[str]:
    schemas = write_schemas(tmp_path / "schemas", files)
    with pytest.raises(SchemaError) as caught:
        generate(schemas, tmp_path / "out", **options)
    assert not (tmp_path / "out").exists(), "nothing is written when a schema is invalid"
    return [str(problem) for problem in caught.value.problems]


def test_malformed_json_names_line_and_column(tmp_path: Path) -> None:
    assert problems(tmp_path, {"topic_a.avsc": '{\n  "type": "record",,\n}'}) == [
        "schemas/topic_a.avsc: malformed JSON at line 2:20: Expecting property name enclosed in "
        "double quotes"
    ]


def test_unknown_named_type(tmp_path: Path) -> None:
    assert problems(tmp_path, {"topic_a.avsc": record("A", field("b", "Missing"))}) == [
        "schemas/topic_a.avsc:/fields/0/type: unknown type 'Missing': a named type must be defined "
        "(in this file) before it is used"
    ]


def test_named_type_of_another_file_is_unknown(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        {
            "topic_a.avsc": record(
                "A", field("b", {"type": "enum", "name": "E", "symbols": ["X"]})
            ),
            "topic_b.avsc": record("B", field("e", "E")),
        },
    )
    assert found == [
        "schemas/topic_b.avsc:/fields/0/type: unknown type 'E': a named type must be defined "
        "(in this file) before it is used"
    ]


def test_name_in_another_namespace_is_unknown_by_short_name(tmp_path: Path) -> None:
    inner = record("Inner", field("x", "int"), namespace="other")
    schema = record("A", field("i", inner), field("j", "Inner"), namespace="mine")
    assert problems(tmp_path, {"topic_a.avsc": schema}) == [
        "schemas/topic_a.avsc:/fields/1/type: unknown type 'Inner': a named type must be defined "
        "(in this file) before it is used"
    ]


def test_duplicate_field_names(tmp_path: Path) -> None:
    schema = record("A", field("x", "int"), field("x", "string"))
    assert problems(tmp_path, {"topic_a.avsc": schema}) == [
        "schemas/topic_a.avsc:/fields/1/name: duplicate field name 'x'"
    ]


@pytest.mark.parametrize(
    ("symbols", "expected"),
    [
        (["ok", "not-ok"], "/symbols/1: invalid enum symbol 'not-ok'"),
        (["A", "A"], "/symbols/1: duplicate enum symbol 'A'"),
        (["1st"], "/symbols/0: invalid enum symbol '1st'"),
        ([], ': an enum needs a non-empty "symbols" list'),
    ],
)
def test_invalid_enum_symbols(tmp_path: Path, symbols: list[str], expected: str) -> None:
    schema = {"type": "enum", "name": "E", "symbols": symbols}
    (found,) = problems(tmp_path, {"topic_e.avsc": schema})
    assert found.startswith("schemas/topic_e.avsc" + (":" if expected[0] == "/" else "") + expected)


def test_enum_default_must_be_a_symbol(tmp_path: Path) -> None:
    schema = {"type": "enum", "name": "E", "symbols": ["A"], "default": "B"}
    assert problems(tmp_path, {"topic_e.avsc": schema}) == [
        "schemas/topic_e.avsc:/default: the enum default 'B' is not one of its symbols"
    ]


@pytest.mark.parametrize(
    ("schema", "pointer"),
    [
        (record("Order-Placed", field("a", "int")), "/name"),
        (record("A", field("order-id", "int")), "/fields/0/name"),
        (record("A", field("a", "int"), namespace="com.1bad"), "/namespace"),
        ({"type": "enum", "name": "has space", "symbols": ["A"]}, "/name"),
    ],
)
def test_invalid_names(tmp_path: Path, schema: dict[str, Any], pointer: str) -> None:
    (found,) = problems(tmp_path, {"topic_a.avsc": schema})
    assert found.startswith(f"schemas/topic_a.avsc:{pointer}: invalid ")
    assert "names must start with a letter or _" in found


def test_a_type_defined_twice(tmp_path: Path) -> None:
    schema = record("A", field("x", record("B")), field("y", record("B")))
    assert problems(tmp_path, {"topic_a.avsc": schema}) == [
        "schemas/topic_a.avsc:/fields/1/type/name: the type 'B' is defined twice"
    ]


@pytest.mark.parametrize(
    ("type_", "default", "reason"),
    [
        ("int", "1", "expected an integer"),
        ("int", 2**31, "expected an integer"),
        (["null", "string"], "x", "expected null (a union's default is of its first type)"),
        ({"type": "fixed", "name": "F", "size": 2}, "abc", "expected 2 bytes"),
        ({"type": "string", "logicalType": "uuid"}, "nope", "expected a UUID"),
        (record("R", field("a", "int")), {}, "the field 'a' is missing"),
    ],
)
def test_invalid_defaults(tmp_path: Path, type_: Any, default: Any, reason: str) -> None:
    (found,) = problems(tmp_path, {"topic_a.avsc": record("A", field("x", type_, default=default))})
    assert found.startswith("schemas/topic_a.avsc:/fields/0/default: invalid default for 'x': ")
    assert reason in found


def test_union_with_two_branches_of_one_type(tmp_path: Path) -> None:
    schema = record("A", field("u", ["null", "string", "string"]))
    assert problems(tmp_path, {"topic_a.avsc": schema}) == [
        "schemas/topic_a.avsc:/fields/0/type/2: a union may hold only one string"
    ]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("topic_a.json", {"hello": "world"}, "neither an Avro schema nor a JSON Schema"),
        (
            "topic_a.json",
            record("A", field("x", "int")),
            "this is an Avro schema, not a JSON Schema",
        ),
        (
            "topic_a.avsc",
            {"type": "object", "properties": {}},
            "this is a JSON Schema, not an Avro",
        ),
        ("topic_a.avsc", "42", "not an Avro schema"),
    ],
)
def test_a_file_of_the_wrong_kind(tmp_path: Path, name: str, content: Any, message: str) -> None:
    (found,) = problems(tmp_path, {name: content})
    assert found.startswith(f"schemas/{name}: {message}")


def test_dangling_json_schema_ref(tmp_path: Path) -> None:
    schema = {"type": "object", "properties": {"a": {"$ref": "#/$defs/Missing"}}}
    (found,) = problems(tmp_path, {"topic_a.json": schema})
    assert found.startswith("schemas/topic_a.json:/properties/a/$ref: ")


def test_duplicate_topic_names(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        {"alpha.avsc": record("Alpha"), "beta.avsc": record("Beta")},
        topics={"beta": {"topic": "alpha"}},
    )
    assert found == [
        "schemas/beta.avsc: the topic name 'alpha' is also the topic of schemas/alpha.avsc; "
        "rename one with [tool.pubsub-gen.topics.beta] topic = ..."
    ]


def test_two_payload_models_with_one_name_ask_for_a_model_override(tmp_path: Path) -> None:
    files = {
        "created.avsc": record("Order", field("a", "int"), namespace="v1"),
        "updated.avsc": record("Order", field("a", "int"), namespace="v2"),
    }
    assert problems(tmp_path, files) == [
        "schemas/updated.avsc: the payload model 'Order' is also exported by "
        'schemas/created.avsc; rename it with [tool.pubsub-gen.topics.updated] model = "..."'
    ]
    result = generate(tmp_path / "schemas", tmp_path / "out", topics={"updated": {"model": "X"}})
    assert "class X(BaseModel):" in (tmp_path / "out/events/updated.py").read_text()
    assert result.written


def test_two_files_of_one_module(tmp_path: Path) -> None:
    found = problems(tmp_path, {"order-placed.avsc": record("A"), "order_placed.avsc": record("B")})
    assert found == [
        "schemas/order_placed.avsc: generates the module 'order_placed' like "
        "schemas/order-placed.avsc; rename one of the files"
    ]


def test_invalid_topic_name_from_the_file_name(tmp_path: Path) -> None:
    (found,) = problems(tmp_path, {"ab.avsc": record("A")})
    assert found.startswith("schemas/ab.avsc: 'ab' is not a valid Pub/Sub topic name")


def test_settings_for_a_missing_schema(tmp_path: Path) -> None:
    found = problems(tmp_path, {"alpha.avsc": record("A")}, topics={"alhpa": {"topic": "x-y-z"}})
    assert found == ["<flags>:topics.alhpa: no schema file alhpa.avsc or alhpa.json"]


def test_every_problem_of_every_file_is_reported_at_once(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        {
            "good.avsc": record("Good", field("a", "int")),
            "one.avsc": record("One", field("a", "Nope"), field("a", "int")),
            "two.avsc": "{",
        },
    )
    assert [line.split(":")[0] for line in found] == [
        "schemas/one.avsc",
        "schemas/one.avsc",
        "schemas/two.avsc",
    ]


def test_a_problem_message_never_spans_lines(tmp_path: Path) -> None:
    schema = record("A", field("x", "Bad\nName"))
    (found,) = problems(tmp_path, {"topic_a.avsc": schema})
    assert "\n" not in found
