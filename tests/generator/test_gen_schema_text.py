"""The schema text in a generated module: readable indented JSON, the same schema as parsed."""

from __future__ import annotations

import ast
import json
from pathlib import Path

from gen_support import GOLDEN

from pubsub_gen.render.literals import MAX_LINE, py_schema, py_str

HOSTILE = {
    "type": "record",
    "name": "Hostile",
    "doc": 'ends with quotes """ and a backslash \\ then é, \u2028 and \x00',
    "fields": [{"name": "a", "type": "string", "default": '"""; import os #'}],
}


def value(literal: str) -> str:
    parsed = ast.literal_eval(literal)
    assert isinstance(parsed, str)
    return parsed


def test_the_schema_is_indented_json_in_a_raw_string_equal_as_parsed() -> None:
    definition = json.dumps(HOSTILE)
    literal = py_schema(definition)
    assert literal.startswith('r"""{\n  "type": "record",\n')
    assert literal.isascii()
    assert json.loads(value(literal)) == HOSTILE
    assert all(len(line) <= MAX_LINE for line in literal.splitlines())


def test_short_containers_stay_on_one_line() -> None:
    schema = {"type": "record", "name": "R", "fields": [{"name": "a", "type": "int"}]}
    assert value(py_schema(json.dumps(schema))) == json.dumps(schema)  # fits: one line
    wide = {**schema, "doc": "x " * 40}  # too wide for one line, fits on a line of its own
    assert '\n  "fields": [{"name": "a", "type": "int"}],\n' in value(py_schema(json.dumps(wide)))


def test_a_line_too_long_or_a_string_schema_keeps_the_split_literal() -> None:
    long_doc = json.dumps({"type": "record", "name": "R", "fields": [], "doc": "word " * 40})
    assert py_schema(long_doc) == py_str(long_doc)
    assert py_schema('"string"') == py_str('"string"')


def test_the_golden_topics_keep_their_schemas() -> None:
    for module in (GOLDEN / "example_events").glob("*.py"):
        source = module.read_text()
        if "\n_SCHEMA = " not in source:
            continue
        tree = ast.parse(source)
        [assigned] = [
            node.value
            for node in tree.body
            if isinstance(node, ast.Assign)
            and [getattr(t, "id", None) for t in node.targets] == ["_SCHEMA"]
        ]
        text = ast.literal_eval(assigned)
        schema = Path(GOLDEN.parent / "schemas").glob(f"{module.stem.replace('_', '?')}.*")
        [path] = list(schema)
        assert json.loads(text) == json.loads(path.read_text())
