"""Generator bugs the fuzz suites found, each reduced to its smallest schema.

Every test states the behaviour we want. A finding not fixed yet is a strict xfail: when its fix
lands the test passes, strict xfail turns that into a failure, and the marker (and the matching
exclusion in ``fuzz_strategies.py``) must be removed.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest
from gen_support import REPO, field, generate, imported, record, write_schemas

from pubsub_gen import SchemaError

RUFF = Path(sys.executable).parent / "ruff"


def generate_one(tmp_path: Path, document: Any, suffix: str = ".avsc") -> Path:
    schemas = write_schemas(tmp_path / "schemas", {f"finding{suffix}": document})
    generate(schemas, tmp_path / "out", package="finding")
    return tmp_path / "out"


def ruff_findings(out: Path, *select: str) -> str:
    config = REPO / "pyproject.toml"
    done = subprocess.run(
        [RUFF, "check", "--no-cache", "--config", config, "--select", ",".join(select), out],
        capture_output=True,
        text=True,
        check=False,
    )
    return "" if done.returncode == 0 else done.stdout


def test_a_type_named_i_becomes_a_class_ruff_accepts(tmp_path: Path) -> None:
    out = generate_one(tmp_path, record("Outer", field("inner", record("i", field("x", "int")))))
    assert ruff_findings(out, "E742") == ""


def test_models_build_by_attribute_when_an_attribute_is_another_fields_wire_name(
    tmp_path: Path,
) -> None:
    # "A" would become the attribute a, which is the wire name of the field "a": it takes a_2,
    # so R(a=...) can only mean the field "a", by attribute and by wire name alike.
    out = generate_one(tmp_path, record("R", field("A", "null"), field("a", "boolean")))
    with imported(out, "finding") as package:
        attributes = {name: info.alias for name, info in package.R.model_fields.items()}
        assert attributes == {"a_2": "A", "a": None}
        made = package.R(a_2=None, a=True)
        assert made.a_2 is None and made.a is True
        assert package.R.model_validate({"A": None, "a": False}).a is False
        samples = importlib.import_module(f"{package.__name__}.samples")
        assert isinstance(samples.sample_finding(), package.R)


@pytest.mark.parametrize("name", ["mro", "register"])
def test_field_names_of_the_model_metaclass_import_without_warnings(
    tmp_path: Path, name: str
) -> None:
    out = generate_one(tmp_path, record("R", field(name, "int")))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # pydantic: Field name "mro" ... shadows an attribute
        with imported(out, "finding"):
            pass


def test_long_names_and_escaped_text_keep_generated_lines_within_the_limit(
    tmp_path: Path,
) -> None:
    # The generator splits one long literal, not a line of two: the TopicSpec's named_types
    # entry "<full name>": <class>, and a sample's "<key>": "<value>" (escaped: 10 characters
    # per emoji).
    name = "Status" * 10
    avro = record("R", field("s", {"type": "enum", "name": name, "symbols": ["A"]}))
    key, value = "\U0001f600" * 5, "\U0001f680" * 5
    inner = {"type": "object", "properties": {key: {"const": value}}, "required": [key]}
    json_schema = {
        "type": "object",
        "properties": {
            "outer": {"type": "object", "properties": {"inner": inner}, "required": ["inner"]}
        },
        "required": ["outer"],
    }
    schemas = write_schemas(
        tmp_path / "schemas", {"avro_topic.avsc": avro, "json_topic.json": json_schema}
    )
    generate(schemas, tmp_path / "out", package="finding")
    assert ruff_findings(tmp_path / "out", "E501") == ""


def test_properties_of_allof_parts_clashing_as_attributes_get_distinct_names(
    tmp_path: Path,
) -> None:
    document = {
        "type": "object",
        "properties": {
            "inner": {
                "allOf": [
                    {"type": "object", "properties": {"_": {"type": "string"}}},
                    {"type": "object", "properties": {":": {"type": "integer"}}},
                ]
            }
        },
    }
    source = (generate_one(tmp_path, document, ".json") / "finding" / "finding.py").read_text()
    # Numbered in the order of the wire names (":" before "_"); the aliases keep them.
    assert 'field: int | None = Field(default=None, alias=":")' in source
    assert 'field_2: str | None = Field(default=None, alias="_")' in source


def test_a_short_name_outside_its_namespace_gets_the_unknown_type_problem(
    tmp_path: Path,
) -> None:
    # Inside namespace "n", "F" means "n.F" (Avro 1.11). Java's parser falls back to the null
    # namespace; fastavro, under the runtime's codecs, refuses it, so the loader does too.
    document = record(
        "A",
        field("f", {"type": "fixed", "name": "F", "size": 1}),
        field("inner", record("B", field("g", "F"), namespace="n")),
    )
    with pytest.raises(SchemaError) as caught:
        generate_one(tmp_path, document)
    assert "unknown type 'F'" in str(caught.value)


@pytest.mark.parametrize("encoding", ["json", "binary"])
def test_a_map_of_enums_beside_an_all_optional_record_decodes_as_the_map(
    tmp_path: Path, encoding: str
) -> None:
    # u: dict[str, Color] | Opt | None. Given {"k": "RED"}, pydantic's smart union prefers Opt
    # (which takes any object) over the map (str -> Color is a lax match), so the codec hands
    # it the map's values as Color instances, which match the map branch exactly.
    color = {"type": "enum", "name": "Color", "symbols": ["RED", "GREEN"]}
    optional = record("Opt", field("note", ["null", "string"], default=None))
    document = record("Root", field("u", ["null", {"type": "map", "values": color}, optional]))
    schemas = write_schemas(tmp_path / "schemas", {"finding.avsc": document})
    generate(schemas, tmp_path / "out", package="finding", encoding=encoding)
    with imported(tmp_path / "out", "finding") as package:
        spec = package.TOPICS["finding"]
        module = sys.modules[spec.model.__module__]
        sent = spec.model(u={"k": module.Color.RED})
        assert spec.decode(spec.encode(sent)) == sent


def test_a_json_enum_value_o_becomes_a_member_ruff_accepts(tmp_path: Path) -> None:
    document = {"type": "object", "properties": {"pick": {"enum": ["o", "x"]}}}
    out = generate_one(tmp_path, document, ".json")
    assert ruff_findings(out, "E741", "E742") == ""
