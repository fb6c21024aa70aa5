"""JSON Schema -> Pydantic models: what the generated code accepts, rejects and writes back.

The rendered sources are written into a temporary package and imported like any module (no
``exec``). A payload that validates re-encodes by alias to the same JSON, which ``jsonschema``
accepts; a payload the schema rejects raises pydantic's ``ValidationError``.
"""

from __future__ import annotations

import enum
import importlib
import json
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import jsonschema
import pytest
from gen_support import RenderedModels as JsonSchemaModels
from gen_support import render_jsonschema_models
from pydantic import BaseModel, RootModel

from pubsub_gen import naming
from pubsub_gen.load.jsonmodels import JsonSchemaInput
from pubsub_gen.load.jsonschema import check_jsonschema
from pubsub_runtime import DecodeError, TopicSpec

REPO = Path(__file__).resolve().parents[2]
D7 = "http://json-schema.org/draft-07/schema#"
D2019 = "https://json-schema.org/draft/2019-09/schema"
D2020 = "https://json-schema.org/draft/2020-12/schema"
AWKWARD = [
    "class", "json", "schema", "model_config", "copy", "dict", "2nd", "order-id", "self", "root",
    "type", "list", "from", "_private", "über", "with space", "model_dump", "validate", "None",
    "fields", "camelCase",
]  # fmt: skip

# Small topics, one feature each, beside the realistic examples of schemas/.
FEATURES: dict[str, dict[str, Any]] = {
    "priority": {
        "$schema": D2020,
        "title": "Priority",
        "description": "How urgent a ticket is.",
        "type": "string",
        "enum": ["low", "high", "2x"],
    },
    "readings": {
        "$schema": D7,
        "title": "Readings",
        "type": "array",
        "items": {"type": "number"},
        "minItems": 1,
        "maxItems": 3,
    },
    "lifecycle": {
        "$schema": D2020,
        "title": "Lifecycle",
        "oneOf": [{"$ref": "#/$defs/Created"}, {"$ref": "#/$defs/Deleted"}],
        "$defs": {
            "Created": {
                "type": "object",
                "required": ["kind", "id"],
                "additionalProperties": False,
                "properties": {
                    "kind": {"const": "created"},
                    "id": {"type": "string", "format": "uuid"},
                },
            },
            "Deleted": {
                "type": "object",
                "required": ["kind", "id", "reason"],
                "additionalProperties": False,
                "properties": {
                    "kind": {"const": "deleted"},
                    "id": {"type": "string", "format": "uuid"},
                    "reason": {"type": "string"},
                },
            },
        },
    },
    "category": {
        "$schema": D2019,
        "title": "Category",
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": {"type": "string", "minLength": 1},
            "children": {"type": "array", "items": {"$ref": "#"}},
        },
    },
    "nullables": {
        "$schema": D2020,
        "title": "Nullables",
        "type": "object",
        "required": ["due", "note", "level"],
        "properties": {
            "due": {"type": ["string", "null"], "format": "date"},
            "note": {"type": ["string", "null"], "maxLength": 5},
            "level": {"$ref": "#/$defs/Level"},
            "days": {"type": "array", "items": {"type": ["string", "null"], "format": "date"}},
            "seen": {"anyOf": [{"type": "string", "format": "date-time"}, {"type": "null"}]},
            "mood": {"type": ["string", "null"], "enum": ["ok", "meh", None]},
        },
        "$defs": {"Level": {"enum": ["low", "high", None]}},
    },
    "extras": {
        "$schema": D7,
        "title": "Extras",
        "type": "object",
        "properties": {
            "typed": {
                "type": "object",
                "required": ["id"],
                "properties": {"id": {"type": "integer"}},
                "additionalProperties": {"type": "integer"},
            },
            "open": {
                "type": "object",
                "properties": {"id": {"type": "integer"}},
                "additionalProperties": True,
            },
            "closed": {
                "type": "object",
                "properties": {"id": {"type": "integer"}},
                "additionalProperties": False,
            },
            "counts": {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}},
            "anything": {"type": "object"},
        },
    },
    "constraints": {
        "$schema": D2020,
        "title": "Constraints",
        "type": "object",
        "properties": {
            "step": {"type": "number", "multipleOf": 0.5},
            "ratio": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
            "count": {"type": "integer", "minimum": 1, "maximum": 10},
            "code": {"type": "string", "pattern": "^(?!XX)[A-Z]{4}$"},
            "tags": {
                "type": "array",
                "items": {"type": "string", "minLength": 2},
                "minItems": 1,
                "maxItems": 2,
            },
        },
    },
    "defaults": {
        "$schema": D2020,
        "title": "Defaults",
        "type": "object",
        "properties": {
            "mode": {"type": "string", "enum": ["fast", "safe"], "default": "safe"},
            "label": {"type": "string", "default": "none"},
            "limits": {"$ref": "#/$defs/Limits", "default": {"max": 3}},
            "sizes": {"type": "array", "items": {"type": "integer"}, "default": [1, 2]},
        },
        "$defs": {"Limits": {"type": "object", "properties": {"max": {"type": "integer"}}}},
    },
    "combined": {
        "$schema": D7,
        "title": "Combined",
        "type": "object",
        "required": ["both"],
        "properties": {
            "both": {"allOf": [{"$ref": "#/definitions/Named"}, {"$ref": "#/definitions/Dated"}]},
            "level": {"type": "integer", "enum": [1, 2, 3]},
            "either": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
        },
        "definitions": {
            "Named": {
                "type": "object",
                "required": ["name"],
                "properties": {"name": {"type": "string"}},
            },
            "Dated": {
                "type": "object",
                "required": ["on"],
                "properties": {"on": {"type": "string", "format": "date"}},
            },
        },
    },
    # Keywords the models do not enforce (not, if/then/else, contains...) must still render.
    "odd": {
        "$schema": D2020,
        "title": "Odd",
        "type": "object",
        "properties": {
            "anything": True,
            "no_items": {"type": "array", "items": False},
            "negated": {"not": {"type": "string"}},
            "conditional": {
                "if": {"type": "string"},
                "then": {"minLength": 2},
                "else": {"type": "integer"},
            },
            "patterned": {"type": "object", "patternProperties": {"^x-": {"type": "string"}}},
            "pair": {
                "type": "array",
                "prefixItems": [{"type": "string"}, {"type": "integer"}],
                "items": False,
            },
            "keyed": {"type": "object", "propertyNames": {"pattern": "^[a-z]+$"}},
            "sealed": {
                "type": "object",
                "properties": {"a": {"type": "string"}},
                "unevaluatedProperties": False,
            },
            "dependent": {"type": "object", "dependentSchemas": {"a": {"required": ["b"]}}},
            "containing": {"type": "array", "contains": {"type": "integer"}},
            "several": {"type": ["string", "integer"]},
            "annotated_ref": {"$ref": "#/$defs/Point", "description": "A $ref with siblings."},
            "ref_into_properties": {"$ref": "#/properties/several"},
            "local_defs": {
                "$defs": {"N": {"type": "integer"}},
                "$ref": "#/properties/local_defs/$defs/N",
            },
            "nothing": {"const": None},
            "only_null": {"type": "null"},
            "halves": {"type": "number", "enum": [1.5, 2.5]},
            "flags": {"enum": [True, False]},
            "sized": {"type": "object", "minProperties": 1, "maxProperties": 3},
            "huge": {"type": "integer", "maximum": 10**30},
        },
        "$defs": {"Point": {"type": "object", "properties": {"x": {"type": "integer"}}}},
    },
    "counters": {
        "$schema": D2020,
        "title": "Counters",
        "type": "object",
        "additionalProperties": {"type": "integer"},
    },
    "names": {
        "$schema": D2020,
        "title": "Names",
        "type": "object",
        "properties": {name: {"type": "string"} for name in AWKWARD},
    },
}
EXAMPLES = {path.stem: json.loads(path.read_text()) for path in sorted(REPO.glob("schemas/*.json"))}
DOCUMENTS = {**EXAMPLES, **FEATURES}

CUSTOMER = {
    "customerId": "7d1f5a4e-9a55-4c1e-8f0e-0d5c5b7a8e11",
    "email": "ada@example.com",
    "registeredAt": "2026-11-20T10:15:00Z",
    "birthDate": None,
    "name": "Ada Lovelace",
    "tier": "plus",
    "homepage": "https://ada.example.com/",
    "address": {
        "line1": "1 Main St",
        "line2": None,
        "city": "London",
        "country": "GB",
        "postalCode": "SW1A 1AA",
    },
    "contact": {"kind": "phone", "number": "+441234567890", "smsAllowed": False},
    "referredBy": {"code": "FRIEND42", "referredBy": {"code": "ROOT0001"}},
    "signupChannel": "in store",
    "marketingOptIn": True,
    "loyaltyPoints": 10,
    "discountRate": 0.25,
    "tags": ["early-adopter", "vip"],
    "preferences": {"email": True, "sms": False},
    "schemaVersion": 2,
}
SHIPMENT = {
    "shipment_id": "1b4e28ba-2fa1-11d2-883f-0016d3cca427",
    "order-id": "ORD-00012345",
    "dispatched_at": "2026-11-20T08:30:00+01:00",
    "expected_delivery": "2026-11-22",
    "carrier": "2-day-freight",
    "class": "same-day",
    "2nd_attempt_allowed": False,
    "tracking_url": "https://track.example.com/p/123",
    "parcels": [
        {
            "parcel_id": "PAL-000001",
            "weight_kg": 120.5,
            "contents": [
                {
                    "parcel_id": "BOX-000001",
                    "weight_kg": 2.5,
                    "dimensions": {"length_cm": 40, "width_cm": 30, "height_cm": 20},
                }
            ],
        }
    ],
    "destination": {"type": "pickup", "point_id": "GB-12345", "hold_until": "2026-11-29"},
    "total_weight_kg": 123.0,
    "labels": {"fragile": "yes"},
    "customs": {"declared_value": 99.5, "currency": "EUR", "line-1": "850440"},
    "json": '{"booking": 1}',
    "schema": "shipment-dispatched/1",
}
DELETED = {"kind": "deleted", "id": "1b4e28ba-2fa1-11d2-883f-0016d3cca427", "reason": "gone"}
VALID: list[tuple[str, Any]] = [
    ("customer_registered", CUSTOMER),
    (
        "customer_registered",
        {
            "customerId": "7d1f5a4e-9a55-4c1e-8f0e-0d5c5b7a8e11",
            "email": "bob@example.org",
            "registeredAt": "2026-01-01T00:00:00-05:00",
            "name": "B",
            "tier": "free",
            "contact": {"kind": "email", "address": "bob@example.org"},
        },
    ),
    ("shipment_dispatched", SHIPMENT),
    (
        "shipment_dispatched",
        {
            "shipment_id": "1b4e28ba-2fa1-11d2-883f-0016d3cca427",
            "order-id": "ORD-00000001",
            "dispatched_at": "2026-11-20T08:30:00Z",
            "expected_delivery": None,
            "carrier": "dhl",
            "class": "standard",
            "parcels": [{"parcel_id": "BOX-000002", "weight_kg": 1}],
            "destination": {
                "type": "home",
                "street": "2 Side St",
                "city": "Leeds",
                "postcode": "LS1",
            },
        },
    ),
    ("priority", "2x"),
    ("readings", [1.5, 2.0]),
    ("lifecycle", DELETED),
    ("category", {"name": "root", "children": [{"name": "a", "children": [{"name": "b"}]}]}),
    ("nullables", {"due": None, "note": None, "level": None, "days": ["2026-01-02", None]}),
    ("nullables", {"due": "2026-02-03", "note": "hi", "level": "high", "mood": None}),
    ("nullables", {"due": None, "note": "", "level": "low", "seen": "2026-01-01T00:00:00Z"}),
    ("extras", {"typed": {"id": 1, "extra": 2}, "open": {"x": "y"}, "closed": {"id": 3}}),
    ("extras", {"counts": {"a": 0, "b": 7}, "anything": {"nested": [1, {"deep": None}]}}),
    ("constraints", {"step": 2.5, "ratio": 0.5, "count": 10, "code": "ABCD", "tags": ["ab"]}),
    ("defaults", {}),
    ("defaults", {"mode": "fast", "limits": {"max": 1}, "sizes": []}),
    ("combined", {"both": {"name": "n", "on": "2026-05-06"}, "level": 2, "either": 5}),
    ("names", {name: f"value of {name}" for name in AWKWARD}),
    ("counters", {"a": 1, "b": 2}),
    ("odd", {"anything": [1], "several": 3, "ref_into_properties": "s", "local_defs": 4}),
    ("odd", {"annotated_ref": {"x": 1}, "halves": 2.5, "flags": False, "huge": 5}),
]
INVALID: list[tuple[str, Any, str]] = [
    ("customer_registered", {**CUSTOMER, "nickname": "ada"}, "additionalProperties false"),
    ("customer_registered", {**CUSTOMER, "customerId": "1234"}, "format uuid"),
    ("customer_registered", {**CUSTOMER, "email": "not-an-email"}, "format email"),
    ("customer_registered", {**CUSTOMER, "birthDate": "2026-13-01"}, "format date"),
    ("customer_registered", {**CUSTOMER, "name": ""}, "minLength"),
    ("customer_registered", {**CUSTOMER, "tier": "gold"}, "enum"),
    ("customer_registered", {**CUSTOMER, "tier": None}, "not nullable"),
    ("customer_registered", {**CUSTOMER, "loyaltyPoints": -1}, "minimum"),
    ("customer_registered", {**CUSTOMER, "discountRate": 0.5}, "exclusiveMaximum"),
    ("customer_registered", {**CUSTOMER, "tags": ["Upper"]}, "pattern in items"),
    ("customer_registered", {**CUSTOMER, "tags": ["t"] * 11}, "maxItems"),
    ("customer_registered", {**CUSTOMER, "schemaVersion": 3}, "const"),
    ("customer_registered", {**CUSTOMER, "contact": {"kind": "fax"}}, "oneOf"),
    ("customer_registered", {**CUSTOMER, "preferences": {"email": "yes"}}, "map values"),
    ("customer_registered", {**CUSTOMER, "loyaltyPoints": "10"}, "integer as string"),
    (
        "customer_registered",
        {**CUSTOMER, "referredBy": {"code": "FRIEND42", "referredBy": {"code": "x"}}},
        "recursive minLength",
    ),
    (
        "customer_registered",
        {**CUSTOMER, "address": {**CUSTOMER["address"], "postalCode": None}},
        "allOf required",
    ),
    ("customer_registered", {k: v for k, v in CUSTOMER.items() if k != "email"}, "required"),
    ("shipment_dispatched", {**SHIPMENT, "order-id": "ORD-1"}, "pattern"),
    ("shipment_dispatched", {**SHIPMENT, "parcels": []}, "minItems"),
    ("shipment_dispatched", {**SHIPMENT, "total_weight_kg": 0}, "exclusiveMinimum"),
    ("shipment_dispatched", {**SHIPMENT, "dispatched_at": "yesterday"}, "format date-time"),
    (
        "shipment_dispatched",
        {**SHIPMENT, "dispatched_at": "2026-11-20T08:30:00"},
        "naive date-time",
    ),
    ("shipment_dispatched", {**SHIPMENT, "tracking_url": "not a url"}, "format uri"),
    (
        "shipment_dispatched",
        {**SHIPMENT, "customs": {**SHIPMENT["customs"], "x": "1"}},
        "typed extra",
    ),
    ("shipment_dispatched", {**SHIPMENT, "destination": {"type": "home"}}, "oneOf required"),
    (
        "shipment_dispatched",
        {**SHIPMENT, "parcels": [{"parcel_id": "PAL-000001", "weight_kg": 1, "contents": [{}]}]},
        "recursive required",
    ),
    ("priority", "medium", "root enum"),
    ("readings", [], "root minItems"),
    ("readings", [1, 2, 3, 4], "root maxItems"),
    (
        "lifecycle",
        {"kind": "created", "id": "1b4e28ba-2fa1-11d2-883f-0016d3cca427", "x": 1},
        "oneOf",
    ),
    ("category", {"name": "a", "children": [{"name": ""}]}, "recursive via #"),
    ("nullables", {"due": None, "note": None}, "required nullable"),
    ("nullables", {"due": None, "note": "toolong", "level": None}, "nullable maxLength"),
    ("nullables", {"due": None, "note": None, "level": "mid"}, "nullable enum"),
    ("extras", {"typed": {"id": 1, "extra": "two"}}, "typed extra"),
    ("extras", {"closed": {"id": 1, "more": 2}}, "closed"),
    ("extras", {"counts": {"a": -1}}, "map value minimum"),
    ("constraints", {"step": 0.3}, "multipleOf"),
    ("constraints", {"ratio": 0}, "exclusiveMinimum"),
    ("constraints", {"count": 11}, "maximum"),
    ("constraints", {"code": "XXAB"}, "pattern lookahead"),
    ("constraints", {"tags": ["a"]}, "item minLength"),
    ("constraints", {"tags": ["ab", "cd", "ef"]}, "maxItems"),
    ("combined", {"both": {"name": "n"}}, "allOf"),
    ("combined", {"both": {"name": "n", "on": "2026-05-06"}, "level": 4}, "integer enum"),
    ("combined", {"both": {"name": "n", "on": "2026-05-06"}, "either": 1.5}, "anyOf"),
    ("counters", {"a": "1"}, "map root values"),
    ("odd", {"several": 1.5}, "type list"),
    ("odd", {"halves": 2}, "number enum"),
    ("odd", {"sized": {}}, "minProperties"),
]
# jsonschema checks these formats only with optional packages (rfc3339-validator, rfc3987).
UNCHECKED_FORMATS = {"format date-time", "naive date-time", "format uri"}


def payload_class(stem: str, document: Mapping[str, Any]) -> str:
    return naming.class_name(document.get("title") or stem)


def inputs(documents: Mapping[str, Mapping[str, Any]]) -> list[JsonSchemaInput]:
    return [
        JsonSchemaInput(
            key=naming.module_name(stem),
            path=REPO / "schemas" / f"{stem}.json",
            display_path=f"schemas/{stem}.json",
            document=document,
            root_class=payload_class(stem, document),
        )
        for stem, document in documents.items()
    ]


def write_package(folder: Path, rendered: Mapping[str, JsonSchemaModels]) -> Path:
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text("")
    for key, models in rendered.items():
        (folder / f"{key}.py").write_text(models.source, encoding="utf-8")
    return folder


def lint_and_typecheck(package: Path) -> None:
    """GEN's ruff pass, then the project's ruff rules and mypy --strict must be clean."""
    from pubsub_gen.format import format_tree

    format_tree(package.parent)
    config = f"--config-file={REPO / 'pyproject.toml'}"
    for command in (
        [sys.executable, "-m", "ruff", "check", f"--config={REPO / 'pyproject.toml'}", "."],
        [
            sys.executable,
            "-m",
            "ruff",
            "format",
            f"--config={REPO / 'pyproject.toml'}",
            "--check",
            ".",
        ],
        [sys.executable, "-m", "mypy", config, "--cache-dir=.mypy_cache", package.name],
    ):
        done = subprocess.run(command, cwd=package.parent, capture_output=True, text=True)
        assert done.returncode == 0, f"{command[2]} failed:\n{done.stdout}{done.stderr}"


@pytest.fixture(scope="module")
def rendered() -> dict[str, JsonSchemaModels]:
    return render_jsonschema_models(inputs(DOCUMENTS))


@pytest.fixture(scope="module")
def modules(
    rendered: dict[str, JsonSchemaModels], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, ModuleType]]:
    root = tmp_path_factory.mktemp("jsonschema_models")
    write_package(root / "jsx_models", rendered)
    sys.path.insert(0, str(root))
    try:
        yield {key: importlib.import_module(f"jsx_models.{key}") for key in rendered}
    finally:
        sys.path.remove(str(root))
        for name in [n for n in sys.modules if n.split(".")[0] == "jsx_models"]:
            del sys.modules[name]


def model_of(modules: Mapping[str, ModuleType], stem: str) -> type[BaseModel]:
    model = getattr(modules[stem], payload_class(stem, DOCUMENTS[stem]))
    assert issubclass(model, BaseModel)
    return model


def topic_of(modules: Mapping[str, ModuleType], stem: str) -> TopicSpec[Any]:
    """The TopicSpec the generator would write for ``stem``: its model and its schema text."""
    return TopicSpec(
        name=stem,
        model=model_of(modules, stem),
        schema_type="JSON_SCHEMA",
        definition=json.dumps(DOCUMENTS[stem]),
    )


def schema_validator(stem: str) -> jsonschema.protocols.Validator:
    document = DOCUMENTS[stem]
    validator_class = jsonschema.validators.validator_for(document)
    return validator_class(document, format_checker=jsonschema.FormatChecker())


def test_every_document_is_a_valid_schema_without_problems() -> None:
    for stem, document in DOCUMENTS.items():
        jsonschema.validators.validator_for(document).check_schema(document)
        assert check_jsonschema(f"schemas/{stem}.json", document) == []


def test_models_carry_the_payload_class_and_list_their_classes(
    rendered: dict[str, JsonSchemaModels], modules: dict[str, ModuleType]
) -> None:
    assert set(rendered) == set(DOCUMENTS)
    for stem, models in rendered.items():
        assert models.root_class == payload_class(stem, DOCUMENTS[stem])
        assert models.root_class in models.class_names
        for name in models.class_names:
            assert isinstance(getattr(modules[stem], name), type)
        assert not models.source.startswith("#"), "the library's header must be gone"
        assert "datamodel-codegen" not in models.source


@pytest.mark.parametrize(
    ("stem", "payload"), VALID, ids=[f"{s}-{i}" for i, (s, _) in enumerate(VALID)]
)
def test_valid_payload_round_trips_to_the_same_json(
    modules: dict[str, ModuleType], stem: str, payload: Any
) -> None:
    schema_validator(stem).validate(payload)
    spec = topic_of(modules, stem)
    model = spec.decode(json.dumps(payload).encode())
    data = json.loads(spec.encode(model))
    assert data == payload
    schema_validator(stem).validate(data)
    assert model_of(modules, stem).model_validate(payload) == model  # Python input: same value


@pytest.mark.parametrize(
    ("stem", "payload", "reason"), INVALID, ids=[f"{s}-{r}" for s, _, r in INVALID]
)
def test_invalid_payload_raises(
    modules: dict[str, ModuleType], stem: str, payload: Any, reason: str
) -> None:
    if reason not in UNCHECKED_FORMATS:
        assert not schema_validator(stem).is_valid(payload), f"test payload is valid: {reason}"
    # The topic's validator judges (formats asserted); the model only types what it accepts.
    with pytest.raises(DecodeError):
        topic_of(modules, stem).decode(json.dumps(payload).encode())


def test_awkward_names_get_safe_attributes_and_keep_wire_aliases(
    modules: dict[str, ModuleType],
) -> None:
    model = model_of(modules, "names")
    fields = model.model_fields
    assert {name: field.alias or name for name, field in fields.items()} == {
        naming.attribute_name(wire): wire for wire in AWKWARD
    }
    by_wire = model.model_validate({"class": "c", "json": "j", "order-id": "o"})
    by_attribute = model.model_validate({"class_": "c", "json_": "j", "order_id": "o"})
    assert by_wire == by_attribute
    assert by_wire.model_dump(by_alias=True, exclude_unset=True) == {
        "class": "c",
        "json": "j",
        "order-id": "o",
    }
    # The BaseModel API is not shadowed.
    assert callable(by_wire.model_dump_json) and callable(by_wire.copy)


def test_enums_are_str_enums_with_the_wire_values(modules: dict[str, ModuleType]) -> None:
    shipment = modules["shipment_dispatched"]
    carrier_values = EXAMPLES["shipment_dispatched"]["definitions"]["Carrier"]["enum"]
    assert issubclass(shipment.Carrier, enum.StrEnum)
    assert [member.value for member in shipment.Carrier] == carrier_values
    parsed = model_of(modules, "shipment_dispatched").model_validate(SHIPMENT)
    assert parsed.carrier is shipment.Carrier("2-day-freight")
    assert parsed.class_ == "same-day"
    # Nullable enums stay StrEnums; the null is the field's None.
    nullables = modules["nullables"]
    assert issubclass(nullables.NullablesMood, enum.StrEnum)
    assert issubclass(nullables.Level, enum.StrEnum)
    assert [m.value for m in nullables.Level] == ["low", "high"]
    assert issubclass(modules["combined"].CombinedLevel, enum.IntEnum)


def test_non_object_roots_become_root_models(modules: dict[str, ModuleType]) -> None:
    priority = model_of(modules, "priority")
    assert issubclass(priority, RootModel)
    assert isinstance(priority.model_validate("high").root, enum.StrEnum)
    assert issubclass(model_of(modules, "readings"), RootModel)
    deleted = model_of(modules, "lifecycle").model_validate(DELETED)
    assert type(deleted.root).__name__ == "Deleted"


def test_defaults_and_formats(modules: dict[str, ModuleType]) -> None:
    defaults = model_of(modules, "defaults")()
    assert defaults.mode == "safe" and isinstance(defaults.mode, enum.StrEnum)
    assert defaults.label == "none" and defaults.sizes == [1, 2]
    # An object-valued default only annotates in JSON Schema; the model leaves it out.
    assert defaults.limits is None
    # Format values stay the strings of the wire (the validator checks the format): a
    # datetime or UUID would re-spell them ("+00:00" as "Z", upper-case hex as lower).
    customer = model_of(modules, "customer_registered").model_validate(CUSTOMER)
    assert customer.customer_id == CUSTOMER["customerId"]
    assert customer.registered_at == CUSTOMER["registeredAt"]
    shipment = model_of(modules, "shipment_dispatched").model_validate(SHIPMENT)
    assert shipment.expected_delivery == SHIPMENT["expected_delivery"]


def test_format_values_are_never_re_spelled(modules: dict[str, ModuleType]) -> None:
    spec = topic_of(modules, "customer_registered")
    payload = {
        **CUSTOMER,
        "customerId": CUSTOMER["customerId"].upper(),
        "registeredAt": "2024-05-01T14:30:00+02:00",
    }
    assert json.loads(spec.encode(spec.decode(json.dumps(payload).encode()))) == payload


def test_output_is_deterministic_and_independent_of_the_batch(
    rendered: dict[str, JsonSchemaModels],
) -> None:
    reversed_documents = dict(reversed(list(DOCUMENTS.items())))
    assert render_jsonschema_models(inputs(reversed_documents)) == rendered
    for stem in ("customer_registered", "nullables"):
        alone = render_jsonschema_models(inputs({stem: DOCUMENTS[stem]}))
        assert alone[stem] == rendered[stem]


def test_output_ignores_the_callers_project_settings(
    rendered: dict[str, JsonSchemaModels], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.black]\nline-length = 40\nskip-string-normalization = true\n"
        "[tool.datamodel-codegen]\nsnake-case-field = false\nuse-annotated = false\n"
    )
    monkeypatch.chdir(tmp_path)
    stem = "shipment_dispatched"
    assert render_jsonschema_models(inputs({stem: DOCUMENTS[stem]}))[stem] == rendered[stem]


def test_generated_code_passes_ruff_and_mypy_strict(
    rendered: dict[str, JsonSchemaModels], tmp_path: Path
) -> None:
    lint_and_typecheck(write_package(tmp_path / "lint" / "jsx_lint", rendered))


def test_no_input_renders_nothing() -> None:
    assert render_jsonschema_models([]) == {}


def test_keys_must_be_unique_identifiers() -> None:
    [item] = inputs({"priority": FEATURES["priority"]})
    with pytest.raises(ValueError, match="unique"):
        render_jsonschema_models([item, item])


@pytest.fixture(autouse=True, scope="module")
def _clean_copy_of_examples() -> Iterator[None]:
    """The tests must not change the documents they render (inputs are read-only)."""
    before = json.dumps(DOCUMENTS, sort_keys=True)
    yield
    assert json.dumps(DOCUMENTS, sort_keys=True) == before


def test_enum_members_follow_our_naming_unless_the_schema_names_them() -> None:
    picks = {
        "type": "object",
        "properties": {
            "pick": {"enum": ["o", "2-day", "in progress"]},
            "maybe": {"enum": ["l", None]},
            "named": {"type": "string", "enum": ["a", "b"], "x-enum-varnames": ["ALPHA", "BETA"]},
        },
    }
    source = render_jsonschema_models(inputs({"picks": picks}))["picks"].source  # not formatted
    # as for Avro symbols: UPPER_SNAKE, a prefix before a digit, never a lone O, I or l
    for member in ("O_ = 'o'", "VALUE_2_DAY = '2-day'", "IN_PROGRESS = 'in progress'", "L = 'l'"):
        assert member in source
    assert "ALPHA = 'a'" in source and "BETA = 'b'" in source


def test_a_topics_classes_keep_their_names_when_another_topic_is_added() -> None:
    # The library numbers duplicate class names across the whole batch (Address1 became
    # Address2 once another topic had an Address); each module is numbered on its own.
    def with_address(key: str) -> dict[str, Any]:
        address = {"type": "object", "properties": {key: {"type": "string"}}}
        return {"type": "object", "$defs": {"Address": address}}

    def branch(key: str) -> dict[str, Any]:
        return {"type": "object", "required": [key], "properties": {key: {"type": "string"}}}

    homes = with_address("street")
    homes["properties"] = {
        "home": {"$ref": "#/$defs/Address"},
        "pick": {"oneOf": [branch("street"), branch("city")]},  # anonymous: numbered
    }
    other = with_address("zip")
    other["properties"] = {"address": {"$ref": "#/$defs/Address"}}
    alone = render_jsonschema_models(inputs({"homes": homes}))["homes"]
    together = render_jsonschema_models(inputs({"another": other, "homes": homes}))
    assert together["homes"].source == alone.source
    assert set(alone.class_names) == {"Address", "HomesPick", "HomesPick1", "Homes"}
    assert "Address" in together["another"].class_names


def test_names_built_of_a_name_numbered_in_the_batch_are_the_modules_own() -> None:
    # The library names the model of a property's allOf after the property alone (Value),
    # numbers it across the whole batch (Value1 once another topic has a Value) and builds the
    # names of the models in it of that (Value1Value1): those lose the batch's number too.
    def holder(key: str) -> dict[str, Any]:
        part = {"properties": {key: {"type": "integer"}}}
        return {"type": "object", "properties": {"value": {"allOf": [part]}}}

    alone = render_jsonschema_models(inputs({"holder": holder("foo")}))["holder"]
    together = render_jsonschema_models(
        inputs({"another": holder("bar"), "holder": holder("foo"), "third": holder("baz")})
    )
    assert together["holder"].source == alone.source
    inside = {"ValueValue", "ValueValue1", "ValueValue2"}
    assert set(alone.class_names) == inside | {"Holder"}
    assert set(together["third"].class_names) == inside | {"Third"}


def test_inline_types_are_named_after_where_they_sit() -> None:
    # An inline enum or object is <Parent><Property> (recursively), an array's items the
    # property's singular, a titled one its title unless taken; definitions keep their keys.
    def status(*values: str) -> dict[str, Any]:
        enum = {"type": "string", "enum": list(values)}
        return {"type": "object", "properties": {"status": enum}}

    order = {
        "title": "Order",
        "type": "object",
        "properties": {
            "payment": status("paid", "refunded"),
            "delivery": status("sent", "lost"),
            "lines": {"type": "array", "items": status("open", "done")},
            "gift": {
                "title": "Gift wrap",
                "type": "object",
                "properties": {"paper": {"type": "string", "enum": ["red", "gold"]}},
            },
            "kind": {"title": "Address", "type": "string", "enum": ["home", "work"]},  # taken
            "ship_to": {"$ref": "#/$defs/PostalAddress"},
        },
        "$defs": {
            "Address": {
                "type": "object",
                "properties": {"kind": {"type": "string", "enum": ["flat", "house"]}},
            },
            # The library names a definition it meets first through allOf after its parent.
            "PostalAddress": {"allOf": [{"$ref": "#/$defs/Address"}], "required": ["kind"]},
        },
    }
    rendered = render_jsonschema_models(inputs({"order": order}))["order"]
    assert set(rendered.class_names) == {
        "Order",
        "OrderPayment",
        "OrderPaymentStatus",
        "OrderDelivery",
        "OrderDeliveryStatus",
        "OrderLine",
        "OrderLineStatus",
        "GiftWrap",
        "GiftWrapPaper",
        "OrderKind",
        "Address",
        "AddressKind",
        "PostalAddress",
    }
    for field in (
        "payment: OrderPayment | None",
        "status: OrderPaymentStatus | None",
        "status: OrderDeliveryStatus | None",
        "lines: list[OrderLine] | None",
        "gift: GiftWrap | None",
        "paper: GiftWrapPaper | None",
        "kind: OrderKind | None",
        "kind: AddressKind | None",
    ):
        assert field in rendered.source
