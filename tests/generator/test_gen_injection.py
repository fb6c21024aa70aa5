"""Text from a schema is data in the output, never code, whatever characters it holds."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import pytest
from gen_support import field, generate, imported, record, write_schemas

# Each would create the file PWNED in the working directory if it ever ran as code.
PAYLOAD = "__import__('pathlib').Path('PWNED').touch()"
HOSTILE = [
    f'"""\n{PAYLOAD}\n"""',
    f"'''\n{PAYLOAD}\n'''",
    f'\\"""; {PAYLOAD}; x = """',
    f"ends with a backslash \\\n{PAYLOAD} \\",
    f"\r{PAYLOAD}\u2028{PAYLOAD}\x0c\x00",
    f'{{{{ {PAYLOAD} }}}} {{% raw %}} {{# #}} f"{{{PAYLOAD}}}"',
    f"é€😀 \u2018quotes\u2019 — {PAYLOAD} " * 20,
]


def same_words(doc: str | None, text: str) -> bool:
    """Docstrings may be re-wrapped at spaces; their words are the schema's, exactly."""
    assert doc is not None
    return inspect.cleandoc(doc).split() == text.split()


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_docs_and_defaults_stay_data(in_tmp: Path, text: str) -> None:
    kind = {"type": "enum", "name": "Kind", "symbols": ["A"], "doc": text}
    schema = record(
        "Hostile",
        field("note", "string", doc=text, default=text),
        field("raw", "bytes", default=text.encode("utf-8").decode("latin-1")),
        field("tags", {"type": "map", "values": "string"}, default={text: text}),
        field("kind", kind, doc=text),
        doc=text,
    )
    schemas = write_schemas(in_tmp / "schemas", {"hostile.avsc": schema})
    generate(schemas, in_tmp / "out", package="hostile_pkg")
    with imported(in_tmp / "out", "hostile_pkg") as package:
        module = package.hostile
        model = package.Hostile
        assert same_words(model.__doc__, text)
        assert same_words(module.Kind.__doc__, text)
        assert model.model_fields["note"].description == text.strip()
        made = model(kind="A")
        assert made.note == text
        assert made.raw == text.encode("utf-8")
        assert made.tags == {text: text}
        assert json.loads(module.HOSTILE.definition) == schema
    assert not (in_tmp / "PWNED").exists()


def test_hostile_text_in_a_json_schema_stays_data(in_tmp: Path) -> None:
    text = HOSTILE[0]
    schema = {
        "title": "Note",
        "description": text,
        "type": "object",
        "properties": {"body": {"type": "string", "description": text, "default": text}},
    }
    schemas = write_schemas(in_tmp / "schemas", {"notes.json": schema})
    generate(schemas, in_tmp / "out", package="hostile_json")
    with imported(in_tmp / "out", "hostile_json") as package:
        assert package.Note().body == text
        assert json.loads(package.TOPICS["notes"].definition) == schema
    assert not (in_tmp / "PWNED").exists()


def test_awkward_field_names_become_safe_attributes_with_wire_aliases(in_tmp: Path) -> None:
    names = ["class", "json", "schema", "model_config", "from", "_private", "camelCase", "int"]
    schema = record("Awkward", *(field(n, "int", default=i) for i, n in enumerate(names)))
    schemas = write_schemas(in_tmp / "schemas", {"awkward.avsc": schema})
    generate(schemas, in_tmp / "out", package="awkward_pkg")
    with imported(in_tmp / "out", "awkward_pkg") as package:
        model = package.Awkward
        attributes = {name: info.alias or name for name, info in model.model_fields.items()}
        assert attributes == {
            "class_": "class",
            "json_": "json",
            "schema_": "schema",
            "model_config_": "model_config",
            "from_": "from",
            "private": "_private",
            "camel_case": "camelCase",
            "int_": "int",
        }
        wire = {n: 10 + i for i, n in enumerate(names)}
        by_wire = model.model_validate(wire)
        by_attribute = model(**{a: 10 + i for i, a in enumerate(attributes)})
        assert by_wire == by_attribute
        assert by_wire.model_dump(by_alias=True) == wire
