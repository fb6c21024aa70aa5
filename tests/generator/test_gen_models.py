"""The generated Avro models: types, names, defaults, docs and the TopicSpec of each topic."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import typing
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pydantic
import pytest
from avro_features import FEATURES
from gen_support import conformance_schemas, generate, imported, write_schemas

from pubsub_runtime import Duration, TopicSpec


@pytest.fixture(scope="module")
def features(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    root = tmp_path_factory.mktemp("models")
    write_schemas(root / "schemas", {f"{n}.avsc": json.dumps(s) for n, s in FEATURES.items()})
    generate(root / "schemas", root / "out", package="model_topics")
    with imported(root / "out", "model_topics") as package:
        yield package


@pytest.fixture(scope="module")
def conformance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    schemas = conformance_schemas()
    root = tmp_path_factory.mktemp("conformance")
    generate(schemas, root, package="conformance_models")
    with imported(root, "conformance_models") as package:
        yield package


def hints(model: type[Any]) -> dict[str, Any]:
    return typing.get_type_hints(model, include_extras=True)


def test_primitives_map_to_python_types(features: ModuleType) -> None:
    assert hints(features.Primitives) == {
        "n": None.__class__,
        "b": bool,
        "i": int,
        "l_": int,
        "f": float,
        "d": float,
        "by": bytes,
        "s": str,
    }


def test_logical_types_map_to_python_types(features: ModuleType) -> None:
    module = features.logical_types
    fields = features.Logical.model_fields
    assert fields["price"].annotation is decimal.Decimal
    assert any(getattr(m, "max_digits", None) == 9 for m in fields["price"].metadata)
    assert any(getattr(m, "decimal_places", None) == 3 for m in fields["price"].metadata)
    assert any(getattr(m, "max_digits", None) == 14 for m in fields["amount"].metadata)
    assert fields["id"].annotation is uuid.UUID
    assert fields["day"].annotation is dt.date
    assert fields["tm"].annotation is dt.time and fields["tu"].annotation is dt.time
    assert fields["sm"].annotation is pydantic.AwareDatetime
    assert fields["lu"].annotation is pydantic.NaiveDatetime
    assert fields["wait"].annotation is Duration
    assert fields["unknown_logical"].annotation is str
    assert fields["wrong_base"].annotation is str, "a logical type on the wrong type is ignored"
    source = Path(module.__file__).read_text()
    assert "sm: AwareDatetime" in source and "lm: NaiveDatetime" in source


def test_timestamps_must_be_aware_and_local_timestamps_naive(features: ModuleType) -> None:
    values = dict(
        price=decimal.Decimal("1.5"),
        amount=decimal.Decimal("2"),
        id=uuid.uuid4(),
        day=dt.date(2024, 1, 1),
        tm=dt.time(1),
        tu=dt.time(2),
        sm=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
        su=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
        lm=dt.datetime(2024, 1, 1),
        lu=dt.datetime(2024, 1, 1),
        wait=Duration(months=1),
        maybe_day=None,
        unknown_logical="x",
        wrong_base="y",
    )
    features.Logical(**values)
    with pytest.raises(pydantic.ValidationError):
        features.Logical(**{**values, "sm": dt.datetime(2024, 1, 1)})
    with pytest.raises(pydantic.ValidationError):
        features.Logical(**{**values, "lm": dt.datetime(2024, 1, 1, tzinfo=dt.UTC)})
    with pytest.raises(pydantic.ValidationError):
        features.Logical(**{**values, "price": decimal.Decimal("1234567.891")})


def test_fixed_is_bytes_of_exactly_its_size(features: ModuleType) -> None:
    features.Fixed(digest=b"x" * 16, empty=b"", maybe=None)
    with pytest.raises(pydantic.ValidationError):
        features.Fixed(digest=b"x" * 15, empty=b"", maybe=None)


def test_unions_keep_their_branches_with_none_last(features: ModuleType) -> None:
    module = features.unions
    found = hints(features.Unions)
    assert found["optional"] == str | None
    assert found["null_last"] == int | None
    assert found["shapes"] == (
        module.Circle | module.Square | str | list[int] | dict[str, bool] | None
    )
    assert found["numbers"] == int | float


def test_same_short_name_in_two_namespaces_gets_a_qualified_class(features: ModuleType) -> None:
    module = features.namespaces
    assert set(module.NAMESPACES.named_types) == {"com.root.Root", "com.a.Thing", "com.b.Thing"}
    assert module.NAMESPACES.named_types["com.a.Thing"] is module.Thing
    assert module.NAMESPACES.named_types["com.b.Thing"] is module.ComBThing
    assert hints(module.Root)["in_union"] == module.ComBThing | module.Thing | None


def test_recursive_records_validate_nested_data(features: ModuleType) -> None:
    tree = features.Tree.model_validate(
        {
            "label": "a",
            "children": [{"label": "b", "children": [], "parent": None, "by_name": {}}],
            "parent": None,
            "by_name": {},
        }
    )
    assert isinstance(tree.children[0], features.Tree)
    ping = features.Ping.model_validate({"pong": {"ping": {"pong": None}}})
    assert isinstance(ping.pong.ping, features.Ping)


def test_top_level_types_that_are_not_records_are_root_models(features: ModuleType) -> None:
    assert issubclass(features.TopEnum, pydantic.RootModel)
    assert features.TopEnum(features.top_enum.Level.HIGH).root == "HIGH"
    assert features.TopArray([{"v": 1}]).root[0].v == 1
    assert features.TopMap({"a": 1}).root == {"a": 1}
    assert features.TopString("x").root == "x"
    assert features.TopUnion(None).root is None
    assert features.TopFixed(b"12345678").root == b"12345678"
    assert features.top_enum.TOP_ENUM.named_types == {"Level": features.top_enum.Level}


def test_enums_are_str_enums_of_the_wire_symbols(features: ModuleType) -> None:
    color = features.enums.Color
    assert [(m.name, m.value) for m in color] == [("RED", "RED"), ("GREEN", "GREEN")]
    assert features.WithEnum(colors=[]).color is color.GREEN


def test_docs_become_docstrings_and_descriptions(features: ModuleType) -> None:
    assert features.Renamed.__doc__ == FEATURES["aliases"]["doc"]


def test_topic_spec_describes_the_topic(features: ModuleType) -> None:
    spec = features.TOPICS["nested_records"]
    module = features.nested_records
    assert isinstance(spec, TopicSpec)
    assert (spec.name, spec.model, spec.schema_type, spec.encoding) == (
        "nested_records",
        features.Outer,
        "AVRO",
        "JSON",
    )
    assert json.loads(spec.definition) == FEATURES["nested_records"]
    assert dict(spec.named_types) == {
        "Outer": module.Outer,
        "Inner": module.Inner,
        "Deep": module.Deep,
    }
    assert features.TOPICS is features.TOPICS and isinstance(features.TOPICS, typing.Mapping)
    with pytest.raises(TypeError):
        features.TOPICS["x"] = spec  # read-only


def test_package_root_exports_models_publishers_and_topics(features: ModuleType) -> None:
    expected = {"TOPICS"}
    for spec in features.TOPICS.values():
        expected.add(spec.model.__name__)
    expected |= {f"{name}Publisher" for name in ("Primitives", "NestedRecords", "TopEnum")}
    assert expected <= set(features.__all__)
    assert len(features.__all__) == 1 + 2 * len(features.TOPICS)
    for name in features.__all__:
        assert getattr(features, name) is not None


def test_interop_logical_type_keys_on_fields_are_not_logical_types(
    conformance: ModuleType,
) -> None:
    found = hints(conformance.Interop)
    for name in ("time_millis_field", "timestamp_micros_field", "local_timestamp_millis_field"):
        assert found[name] is int
    assert found["null_field"] is None.__class__
    assert found["union_field"] == bool | float | list[bytes]
    assert found["map_field"] == dict[str, conformance.interop.Foo]
    assert found["record_field"] is conformance.interop.Node
    assert hints(conformance.interop.Node)["children"] == list[conformance.interop.Node]
    assert set(conformance.interop.INTEROP.named_types) == {
        "org.apache.avro.Interop",
        "org.apache.avro.Foo",
        "org.apache.avro.Kind",
        "org.apache.avro.Node",
    }


def test_reserved_enum_symbols_become_safe_members(conformance: ModuleType) -> None:
    module = conformance.reserved
    enum = module.RESERVED.named_types["org.apache.avro.test.Reserved"]
    assert [(m.name, m.value) for m in enum] == [
        ("DEFAULT", "default"),
        ("CLASS", "class"),
        ("INT", "int"),
    ]
    assert conformance.Reserved(enum.CLASS).model_dump() == "class"
    assert issubclass(conformance.Reserved, pydantic.RootModel)
