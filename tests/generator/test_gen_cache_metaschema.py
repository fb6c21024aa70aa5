"""The fast metaschema verdict: "certainly valid" only when jsonschema finds nothing wrong."""

from __future__ import annotations

import json
import warnings
from typing import Any

import pytest
from gen_support import SCHEMAS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import validators

from pubsub_gen.load.jsonschema import check_jsonschema, metaschema_problems
from pubsub_gen.load.metaschema import certainly_valid, compiled

DRAFTS = [
    None,
    "http://json-schema.org/draft-07/schema#",
    "https://json-schema.org/draft/2019-09/schema",
    "https://json-schema.org/draft/2020-12/schema",
]
KEYWORDS = [
    *("type", "properties", "items", "prefixItems", "enum", "const", "minimum", "maximum"),
    *("exclusiveMinimum", "multipleOf", "minLength", "maxLength", "pattern", "required"),
    *("additionalProperties", "patternProperties", "propertyNames", "allOf", "anyOf", "oneOf"),
    *("not", "if", "then", "else", "$ref", "$defs", "definitions", "$id", "$anchor"),
    *("$dynamicRef", "$comment", "title", "description", "default", "format", "uniqueItems"),
    *("minItems", "maxItems", "contains", "dependentRequired", "dependentSchemas"),
    *("dependencies", "unevaluatedProperties", "deprecated", "readOnly", "examples"),
    *("$vocabulary", "$recursiveRef", "additionalItems", "x-extension"),
]
SCALARS = st.sampled_from(
    [
        *(0, 1, -1, 2.5, 1.0, True, False, None, "", "a", "string", "object", "#"),
        *("#/$defs/a", "^a$", "(", "http://x", "a b", 10**20),
    ]
)
TYPES = st.sampled_from(["string", "integer", "number", "object", "array", "boolean", "null", "x"])
ANY_JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(KEYWORDS), inner),
    max_leaves=8,
)


def _schema(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Schema-shaped values: mostly the right kind of value per keyword, sometimes not."""
    names = st.sampled_from(["a", "b", "c d", "1"])
    maps = st.sampled_from(["properties", "$defs", "definitions", "patternProperties"])
    lists = st.sampled_from(["allOf", "anyOf", "oneOf", "prefixItems"])
    single = st.sampled_from(["items", "not", "if", "additionalProperties", "propertyNames"])
    strings = st.lists(st.sampled_from(["a", "b", 1, None]), max_size=3)
    value = st.one_of(
        st.tuples(maps, st.dictionaries(names, inner, max_size=3)),
        st.tuples(lists, st.lists(inner, max_size=3)),
        st.tuples(single, inner),
        st.tuples(st.just("type"), TYPES | st.lists(TYPES, max_size=3)),
        st.tuples(st.sampled_from(["required", "enum"]), strings),
        st.tuples(st.sampled_from(KEYWORDS), ANY_JSON),
    )
    return st.lists(value, max_size=4).map(dict) | st.sampled_from([True, False, {}])


SCHEMA_LIKE = st.recursive(st.sampled_from([True, False, {}]), _schema, max_leaves=12)


def _errors(document: Any) -> list[str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an unknown $schema: jsonschema warns, then uses 2020-12
        validator_class = validators.validator_for(document)
    return [e.message for e in validator_class(validator_class.META_SCHEMA).iter_errors(document)]


def _verdict(document: Any) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return certainly_valid(document, validators.validator_for(document))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=SCHEMA_LIKE, draft=st.sampled_from(DRAFTS))
def test_certainly_valid_only_when_jsonschema_finds_nothing(body: Any, draft: str | None) -> None:
    document = body if isinstance(body, dict) else {"type": "object", "not": body}
    if draft is not None:
        document = {**document, "$schema": draft}
    # Soundness: True only without errors. Completeness (no valid schema left undecided) only
    # costs time when it fails, but the closures reach it on everything generated here.
    assert _verdict(document) == (_errors(document) == [])


def _documents() -> list[tuple[str, Any]]:
    found = [(p.name, json.loads(p.read_text())) for p in sorted(SCHEMAS.glob("*.json"))]
    assert found, "the repository's JSON Schemas"
    return found


@pytest.mark.parametrize("draft", DRAFTS[1:])
def test_valid_schemas_are_decided_fast_in_every_draft(draft: str) -> None:
    for name, document in _documents():
        document = {**document, "$schema": draft}
        if draft.endswith("draft-07/schema#") and "$defs" in document:
            document["definitions"] = document.pop("$defs")
            text = json.dumps(document).replace("#/$defs/", "#/definitions/")
            document = json.loads(text)
        assert _errors(document) == [], name
        assert _verdict(document), name


@pytest.mark.parametrize(
    "broken",
    [
        {"type": "strin"},
        {"type": ["string", "string"]},
        {"required": ["a", "a"]},
        {"properties": {"a": {"minLength": -1}}},
        {"deprecated": "yes"},
        {"$defs": {"a": {"anyOf": []}}},
        {"$anchor": "1bad"},
        {"items": {"exclusiveMinimum": "0"}},
    ],
)
def test_invalid_schemas_get_the_library_messages(broken: dict[str, Any]) -> None:
    document = {"$schema": DRAFTS[-1], **broken}
    assert not _verdict(document)
    assert _errors(document) != []
    assert metaschema_problems("s.json", document) != []


def test_check_jsonschema_without_metaschema_leaves_only_those_problems() -> None:
    document = {"type": "object", "properties": {"a": {"type": "string"}}, "deprecated": "yes"}
    assert check_jsonschema("s.json", document, metaschema=False) == []
    [problem] = check_jsonschema("s.json", document)
    assert problem.pointer == "/deprecated"


def test_a_metaschema_with_unknown_keywords_is_never_compiled() -> None:
    odd = {"$id": "urn:pubsub-gen:test-odd", "type": "object", "if": {"type": "object"}}
    assert compiled(odd, lambda uri: odd) is None
    simple = {"$id": "urn:pubsub-gen:test-simple", "type": "object", "minProperties": 1}
    assert compiled(simple, lambda uri: simple) is None
    known = {
        "$id": "urn:pubsub-gen:test-known",
        "type": "object",
        "properties": {"a": {"$ref": "#"}},
    }
    check = compiled(known, lambda uri: known)
    assert check is not None and check({"a": {"a": {}}}) and not check({"a": 3})


def test_repository_schemas_pass() -> None:
    for name, document in _documents():
        assert metaschema_problems(name, document) == []
