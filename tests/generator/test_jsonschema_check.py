"""Bad JSON Schema input: every problem is reported on its own line with a pointer to its place."""

from __future__ import annotations

import builtins
from pathlib import Path
from typing import Any

import pytest
from gen_support import render_jsonschema_models

from pubsub_gen.errors import SchemaError
from pubsub_gen.load.jsonmodels import JsonSchemaInput
from pubsub_gen.load.jsonschema import check_jsonschema

D7 = "http://json-schema.org/draft-07/schema#"
D2020 = "https://json-schema.org/draft/2020-12/schema"
WHERE = "schemas/bad.json"


def obj(**properties: Any) -> dict[str, Any]:
    return {"$schema": D2020, "type": "object", "properties": properties}


# (case, document, pointer, part of the message)
CASES: list[tuple[str, Any, str, str]] = [
    ("array document", ["a", "b"], "", "top level is a list"),
    ("string document", "hello", "", "top level is a str"),
    ("avro record", {"type": "record", "name": "A", "fields": []}, "", "Avro schema"),
    ("avro enum", {"type": "enum", "name": "E", "symbols": ["A"]}, "", "Avro schema"),
    (
        "unknown draft",
        {"$schema": "https://example.com/mine", "type": "object"},
        "/$schema",
        "draft",
    ),
    ("draft not a string", {"$schema": 7, "type": "object"}, "/$schema", "unsupported"),
    ("sample data", {"name": "order", "id": 5}, "", "no schema at the top level"),
    ("anchor ref", obj(a={"$ref": "#address"}), "", "Anchor 'address' does not exist"),
    ("unknown type", obj(a={"type": "strng"}), "/properties/a/type", "type must be one of"),
    ("duplicate types", obj(a={"type": ["string", "string"]}), "/properties/a/type", "type"),
    (
        "negative length",
        obj(a={"type": "string", "minLength": -1}),
        "/properties/a/minLength",
        "non-negative",
    ),
    (
        "count as text",
        obj(a={"type": "array", "maxItems": "3"}),
        "/properties/a/maxItems",
        "integer",
    ),
    ("bound as text", obj(a={"type": "number", "maximum": "9"}), "/properties/a/maximum", "number"),
    (
        "draft 4 exclusive bound",
        obj(a={"type": "number", "minimum": 0, "exclusiveMinimum": True}),
        "/properties/a/exclusiveMinimum",
        "must be a number",
    ),
    (
        "multipleOf zero",
        obj(a={"type": "number", "multipleOf": 0}),
        "/properties/a/multipleOf",
        "greater than 0",
    ),
    (
        "required not a list",
        {**obj(a={"type": "string"}), "required": "a"},
        "/required",
        "array of property names",
    ),
    (
        "properties not an object",
        {"type": "object", "properties": ["a"]},
        "/properties",
        "object of schemas",
    ),
    ("empty anyOf", obj(a={"anyOf": []}), "/properties/a/anyOf", "non-empty array"),
    ("empty enum", obj(a={"enum": []}), "/properties/a/enum", "non-empty array"),
    ("schema is a number", obj(a=5), "/properties/a", "object or a boolean"),
    (
        "description not text",
        obj(a={"type": "string", "description": 5}),
        "/properties/a/description",
        "string",
    ),
    (
        "dangling $defs ref",
        obj(a={"$ref": "#/$defs/Missing"}),
        "/properties/a/$ref",
        "dangling $ref",
    ),
    (
        "dangling definitions ref",
        {"$schema": D7, "type": "object", "properties": {"a": {"$ref": "#/definitions/Nope"}}},
        "/properties/a/$ref",
        "nothing is defined at /definitions/Nope",
    ),
    (
        "dangling deep ref",
        {**obj(a={"$ref": "#/$defs/A/properties/nope"}), "$defs": {"A": {"type": "object"}}},
        "/properties/a/$ref",
        "dangling",
    ),
    (
        "sibling file ref",
        obj(a={"$ref": "address.json"}),
        "/properties/a/$ref",
        "points outside this file",
    ),
    (
        "remote ref",
        obj(a={"$ref": "https://example.com/s.json#/$defs/A"}),
        "/properties/a/$ref",
        "external references are not supported",
    ),
    ("ref not text", obj(a={"$ref": 5}), "/properties/a/$ref", "must be a string"),
    (
        "ref to a non-schema",
        {**obj(a={"$ref": "#/required"}), "required": []},
        "/properties/a/$ref",
        "not point at a schema",
    ),
    (
        "ref cycle",
        {
            **obj(a={"$ref": "#/$defs/A"}),
            "$defs": {"A": {"$ref": "#/$defs/B"}, "B": {"$ref": "#/$defs/A"}},
        },
        "/$defs/A/$ref",
        "$ref cycle: #/$defs/B -> #/$defs/A -> #/$defs/B",
    ),
    ("root ref to itself", {"$schema": D2020, "$ref": "#"}, "/$ref", "root"),
    (
        "root ref from a non-object root",
        {"$schema": D2020, "type": "array", "items": {"$ref": "#"}},
        "/items/$ref",
        "needs an object schema at the root",
    ),
    (
        "broken pattern",
        obj(a={"type": "string", "pattern": "(ab"}),
        "/properties/a/pattern",
        'is not a "regex"',
    ),
    ("escaped pointer", obj(**{"a/b~c": {"type": "strng"}}), "/properties/a~1b~0c/type", "type"),
    (
        "nested places",
        {
            "$schema": D2020,
            "type": "array",
            "items": {"allOf": [{"additionalProperties": {"$defs": 1, "type": "nope"}}]},
        },
        "/items/allOf/0/additionalProperties/type",
        "type must be one of",
    ),
    (
        "definitions are checked",
        {"$schema": D7, "$ref": "#/definitions/A", "definitions": {"A": {"minItems": -2}}},
        "/definitions/A/minItems",
        "non-negative",
    ),
    (
        "metaschema only",
        {"$schema": D2020, "type": "object", "dependentRequired": 5},
        "/dependentRequired",
        "is not of type 'object'",
    ),
]


@pytest.mark.parametrize(
    ("document", "pointer", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_schema_is_reported_at_its_place(document: Any, pointer: str, message: str) -> None:
    problems = check_jsonschema(WHERE, document)
    assert problems, "no problem found"
    for problem in problems:
        assert problem.path == Path(WHERE)
        line = str(problem)
        assert "\n" not in line and line.startswith(f"{WHERE}")
    found = {(p.pointer, p.message) for p in problems}
    assert any(p == pointer and message in m for p, m in found), found


def test_fitting_defaults_are_fine() -> None:
    document = {
        **obj(
            a={"type": ["string", "null"], "default": None},
            b={"$ref": "#/$defs/E", "default": "x"},
            c={"type": "number", "default": 1},
            d={"type": "array", "items": {"type": "integer"}, "default": [1]},
            e={"$ref": "#/$defs/P", "default": {"q": 1}},
        ),
        "$defs": {"E": {"enum": ["x", None]}, "P": {"type": "object"}},
    }
    assert check_jsonschema(WHERE, document) == []


def test_every_problem_of_a_document_is_reported_once() -> None:
    document = obj(
        a={"type": "strng"},
        b={"$ref": "#/$defs/B"},
        c={"type": "string", "pattern": "("},
    )
    problems = check_jsonschema(WHERE, document)
    pointers = [p.pointer for p in problems]
    assert pointers == sorted(set(pointers))
    assert {"/properties/a/type", "/properties/b/$ref", "/properties/c/pattern"} <= set(pointers)
    # The metaschema's own complaint about /properties/a/type is not repeated.
    assert pointers.count("/properties/a/type") == 1


def test_checks_work_without_the_jsonschema_package(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_jsonschema(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "jsonschema" or name.startswith("jsonschema."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_jsonschema)
    # jsonschema-rs (the run-time validator) still checks the schema when it is compiled.
    metaschema_only = {"$schema": D2020, "type": "object", "dependentRequired": 5}
    assert [p.pointer for p in check_jsonschema(WHERE, metaschema_only)] == ["/dependentRequired"]
    [problem] = check_jsonschema(WHERE, obj(a={"type": "strng"}))
    assert problem.pointer == "/properties/a/type"


def item(key: str, document: dict[str, Any], root_class: str) -> JsonSchemaInput:
    return JsonSchemaInput(key, Path(f"{key}.json"), f"schemas/{key}.json", document, root_class)


def test_definition_taking_the_payload_name_is_an_error() -> None:
    document = {**obj(o={"$ref": "#/$defs/order"}), "$defs": {"order": {"type": "object"}}}
    with pytest.raises(SchemaError) as raised:
        render_jsonschema_models([item("order", document, "Order")])
    [problem] = raised.value.problems
    assert (str(problem.path), problem.pointer) == ("schemas/order.json", "/$defs/order")
    assert "class name 'Order'" in problem.message


def test_payload_name_shadowing_an_import_is_an_error() -> None:
    document = obj(**{"a-b": {"type": "string"}})  # an alias: the models import Field
    with pytest.raises(SchemaError) as raised:
        render_jsonschema_models([item("field", document, "Field")])
    [problem] = raised.value.problems
    assert str(problem).startswith("schemas/field.json: the class 'Field' would shadow an import")


def test_library_failure_is_blamed_on_the_schema_that_fails_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import datamodel_code_generator

    real_generate = datamodel_code_generator.generate

    def generate(folder: Path, **options: Any) -> Any:
        if (folder / "broken.json").exists():
            raise ValueError("cannot parse\nthis")
        return real_generate(folder, **options)

    monkeypatch.setattr(datamodel_code_generator, "generate", generate)
    good = item("fine", obj(a={"type": "string"}), "Fine")
    bad = item("broken", obj(a={"type": "string"}), "Broken")
    with pytest.raises(SchemaError) as raised:
        render_jsonschema_models([good, bad])
    [problem] = raised.value.problems
    assert str(problem.path) == "schemas/broken.json"
    assert str(problem) == "schemas/broken.json: cannot generate models: cannot parse this"
    assert render_jsonschema_models([good])["fine"].root_class == "Fine"
