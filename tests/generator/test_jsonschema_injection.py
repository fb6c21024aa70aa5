"""Text from a JSON Schema (names, titles, descriptions, defaults, enums, patterns) stays data.

A hostile schema must render to code that only defines models: importing it runs nothing of the
schema's text, and every text survives unchanged as the value it was in the schema.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from gen_support import RenderedModels as JsonSchemaModels
from gen_support import render_jsonschema_models

from pubsub_gen.load.jsonmodels import JsonSchemaInput

REPO = Path(__file__).resolve().parents[2]


def hostile_texts(sentinel: Path) -> list[str]:
    """Strings that would run code (creating ``sentinel``) if pasted into source unescaped."""
    touch = f'open("{sentinel}", "w")'
    return [
        f'"""; {touch} #',
        f"'''; {touch} #",
        f'\\"""\n{touch}\n"""',
        f'"); {touch}; ("',
        f"'); {touch}; ('",
        "ends with a backslash \\",
        f"{{__import__('os').system('touch {sentinel}')}}",
        "line\r\nbreaks\u2028and\u2029others\x00\x0c\ttab",
        "\\N{BULLET} \\u0041 \\x41 escapes",
        "The customer\u2019s name \u2013 \u201dquoted\u201c, na\u00efve caf\u00e9",
        "\u6570\u636e \U0001f389 \u202eright-to-left override",
    ]


LONG = "A long description that goes on, " * 8


def hostile_schema(texts: list[str]) -> dict[str, Any]:
    properties: dict[str, Any] = {
        f"p{i} {text}": {
            "type": "string",
            "title": text,
            "description": text,
            "default": text,
            "maxLength": 1000,
        }
        for i, text in enumerate(texts)
    }
    # Long text is fine where it stays a string; names that long are not realistic.
    properties["documented"] = {
        "type": "string",
        "title": LONG,
        "description": LONG,
        "default": LONG,
    }
    properties["symbols"] = {"type": "string", "enum": texts}
    properties["fixed"] = {"const": texts[0]}
    properties["shaped"] = {"type": "string", "pattern": "^[\"'\\\\]*\"\"\"'''$"}
    properties["nested"] = {"$ref": "#/$defs/" + texts[2].replace("~", "~0").replace("/", "~1")}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": texts[0],
        "description": texts[2] + texts[7] + LONG,
        "type": "object",
        "properties": properties,
        "$defs": {
            texts[2]: {
                "type": "object",
                "description": texts[0],
                "properties": {"q": {"type": "integer"}},
            }
        },
    }


@pytest.fixture(scope="module")
def sentinel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sentinel") / "PWNED"


@pytest.fixture(scope="module")
def rendered(sentinel: Path) -> JsonSchemaModels:
    document = hostile_schema(hostile_texts(sentinel))
    item = JsonSchemaInput(
        "hostile", Path("hostile.json"), "schemas/hostile.json", document, "Hostile"
    )
    return render_jsonschema_models([item])["hostile"]


@pytest.fixture(scope="module")
def module(
    rendered: JsonSchemaModels, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ModuleType]:
    root = tmp_path_factory.mktemp("hostile")
    (root / "jsx_hostile").mkdir()
    (root / "jsx_hostile" / "__init__.py").write_text("")
    (root / "jsx_hostile" / "models.py").write_text(rendered.source, encoding="utf-8")
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module("jsx_hostile.models")
    finally:
        sys.path.remove(str(root))
        for name in [n for n in sys.modules if n.startswith("jsx_hostile")]:
            del sys.modules[name]


ALLOWED_CALLS = {"ConfigDict", "Field", "TypeAliasType", "model_rebuild"}


def test_source_only_defines_models(rendered: JsonSchemaModels) -> None:
    tree = ast.parse(rendered.source)
    for statement in tree.body:
        assert isinstance(statement, ast.ImportFrom | ast.ClassDef | ast.Assign | ast.Expr)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            assert name in ALLOWED_CALLS, ast.unparse(node)
        assert not isinstance(node, ast.JoinedStr | ast.Lambda | ast.NamedExpr)
        if isinstance(node, ast.Name):
            assert node.id not in {"open", "__import__", "exec", "eval", "os"}
    imported = {n.module for n in tree.body if isinstance(n, ast.ImportFrom)}
    assert imported <= {
        "__future__",
        "enum",
        "typing",
        "pydantic",
        "typing_extensions",
        "datetime",
        "uuid",
    }


def test_importing_and_using_runs_no_schema_text(module: ModuleType, sentinel: Path) -> None:
    model = module.Hostile
    texts = hostile_texts(sentinel)
    instance = model.model_validate({"symbols": texts[1], "fixed": texts[0], "shaped": "\"\"\"'''"})
    instance.model_dump_json(by_alias=True)
    model.model_json_schema()
    assert not sentinel.exists()


def test_every_text_survives_as_the_same_value(module: ModuleType, sentinel: Path) -> None:
    texts = hostile_texts(sentinel)
    model = module.Hostile
    fields = {field.alias or name: field for name, field in model.model_fields.items()}
    for i, text in enumerate(texts):
        field = fields[f"p{i} {text}"]
        assert (field.title, field.description, field.default) == (text, text, text)
    assert [member.value for member in module.HostileSymbols] == texts
    default = model()
    assert default.model_dump(by_alias=True)[f"p0 {texts[0]}"] == texts[0]
    assert model.model_validate({"fixed": texts[0]}).fixed == texts[0]
    # The pattern is the validator's (from the schema text), never code in the model.
    assert fields["shaped"].metadata == []
    # Docstrings keep the words; only line breaks may move.
    assert inspect.getdoc(model) is not None
    assert inspect.getdoc(model).split() == (texts[2] + texts[7] + LONG).split()
    documented = fields["documented"]
    assert (documented.title, documented.description, documented.default) == (LONG, LONG, LONG)


def test_hostile_output_passes_ruff_and_mypy(rendered: JsonSchemaModels, tmp_path: Path) -> None:
    from pubsub_gen.format import format_tree

    package = tmp_path / "jsx_hostile_lint"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "models.py").write_text(rendered.source, encoding="utf-8")
    format_tree(tmp_path)
    config = REPO / "pyproject.toml"
    for command in (
        [sys.executable, "-m", "ruff", "check", f"--config={config}", "."],
        [
            sys.executable,
            "-m",
            "mypy",
            f"--config-file={config}",
            "--cache-dir=.mypy_cache",
            package.name,
        ],
    ):
        done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True)
        assert done.returncode == 0, f"{command[2]}:\n{done.stdout}{done.stderr}"


def test_hostile_output_is_deterministic(rendered: JsonSchemaModels, sentinel: Path) -> None:
    document = json.loads(json.dumps(hostile_schema(hostile_texts(sentinel))))
    item = JsonSchemaInput("hostile", Path("x.json"), "elsewhere/x.json", document, "Hostile")
    assert render_jsonschema_models([item])["hostile"] == rendered
