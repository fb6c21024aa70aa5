"""The edges found by probing the generator (issue 19): each answered by a working result or
one clear line.

The schemas that must work are generated together into one package, whose generated tests
then run in one subprocess (as a service runs them); the refusals go through the command line.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fastavro
import pytest
from click.testing import CliRunner
from gen_support import field, generate, imported, record, write_schemas

from pubsub_gen import OutputError, SchemaError, SchemaWarning
from pubsub_gen.cli import main
from pubsub_gen.load.discover import MAX_DEPTH
from pubsub_gen.naming import constant_name
from pubsub_gen.render.flat import MAX_NESTING
from pubsub_runtime import TopicSpec
from pubsub_runtime._codecs.avro import for_fastavro

SERVICE_PYTEST = '[tool.pytest.ini_options]\nasyncio_mode = "auto"\n'
PACKAGE = "hardened"


def deep_records(levels: int) -> str:
    """Records nested ``levels`` deep (3 JSON levels each), as text: json.dumps recurses."""
    opening = "".join(
        f'{{"type": "record", "name": "L{i}", "fields": [{{"name": "c", "type": '
        for i in range(levels - 1)
    )
    innermost = (
        f'{{"type": "record", "name": "L{levels - 1}", "fields": [{{"name": "v", "type": "int"}}]}}'
    )
    return opening + innermost + "}]}" * (levels - 1)


def deep_arrays(levels: int) -> dict[str, Any]:
    items: Any = "int"
    for _ in range(levels):
        items = {"type": "array", "items": items}
    return record("Arrays", field("a", items))


def deep_json_arrays(levels: int) -> dict[str, Any]:
    items: Any = {"type": "integer"}
    for _ in range(levels):
        items = {"type": "array", "items": items}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "JsonArrays",
        "type": "object",
        "properties": {"a": items},
        "required": ["a"],
    }


# Named types called like Avro's type keywords, in the null namespace (legal: issue point 4).
KEYWORDS = {
    "type": "record",
    "name": "record",
    "fields": [
        {"name": "next", "type": ["null", "record"]},
        {"name": "e", "type": {"type": "enum", "name": "enum", "symbols": ["A", "B"]}},
        {"name": "f", "type": {"type": "fixed", "name": "fixed", "size": 2}},
        {"name": "m", "type": record("map", field("x", "int"))},
        {"name": "err", "type": {"type": "error", "name": "error", "fields": []}},
        {"name": "arr", "type": record("array", field("y", "string"))},
        {"name": "u", "type": ["null", "enum", "map", "fixed", "array"]},
        {"name": "items", "type": {"type": "array", "items": "map"}},
    ],
}
INVALID_DECIMALS = record(
    "Money",
    field("scale", {"type": "bytes", "logicalType": "decimal", "precision": 2, "scale": 3}),
    field("precision", {"type": "bytes", "logicalType": "decimal", "precision": 2.4}),
    field(
        "size",
        {"type": "fixed", "name": "F", "size": 2, "logicalType": "decimal", "precision": 9},
    ),
)
COMMENTED = """/*
 * Licensed to the Apache Software Foundation (ASF) under one or more contributor
 * license agreements. // not the end of this comment
 */
// A line comment before the schema
{
  "type": "record", // after a value
  "name": "Commented",
  "doc": "a // and a /* are text in a string */ \\" still text",
  "fields": [/* inline */ {"name": "a", "type": "int"}]
}
"""
WORKING = {
    "deep_records.avsc": deep_records(MAX_DEPTH // 3),
    "deep_arrays.avsc": deep_arrays(MAX_DEPTH - 3),
    "deep_json.json": deep_json_arrays(MAX_DEPTH - 4),
    "keywords.avsc": KEYWORDS,
    "keywords_json.avsc": {**KEYWORDS, "namespace": ""},
    "money.avsc": INVALID_DECIMALS,
    "commented.avsc": COMMENTED,
    "topics.avsc": record("Thing", field("a", "int")),
}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, list[str]]]:
    """The package of ``WORKING`` (keywords in binary), and the warnings generation gave."""
    root = tmp_path_factory.mktemp("hardened")
    schemas = write_schemas(root / "schemas", WORKING)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        generate(
            schemas,
            root / "out",
            package=PACKAGE,
            topics={"keywords": {"encoding": "binary"}, "keywords_json": {"model": "RecordJ"}},
            cache=False,
        )
    yield root / "out", [str(w.message) for w in caught if issubclass(w.category, SchemaWarning)]


def test_the_generated_tests_of_every_working_schema_pass(
    generated: tuple[Path, list[str]],
) -> None:
    out, _ = generated
    (out / "pyproject.toml").write_text(SERVICE_PYTEST, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"{PACKAGE}/tests"],
        cwd=out,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert f"{4 * len(WORKING)} passed" in done.stdout


# -- 1, 2: depth ------------------------------------------------------------------------------


def test_deep_samples_are_split_into_statements_python_parses(
    generated: tuple[Path, list[str]],
) -> None:
    out, _ = generated
    source = (out / PACKAGE / "samples.py").read_text(encoding="utf-8")
    compile(source, "samples.py", "exec")  # no "too many nested parentheses"
    assert "part_1 = " in source  # the arrays' and the JSON arrays' samples nest past the bound
    with imported(out, PACKAGE) as package:
        samples = __import__(f"{PACKAGE}.samples", fromlist=["x"])
        value = samples.sample_deep_arrays().a
        depth = 0
        while isinstance(value, list):
            value, depth = value[0], depth + 1
        assert (depth, value) == (MAX_DEPTH - 3, 1)
        assert (
            package.TOPICS["deep_records"].decode(
                package.TOPICS["deep_records"].encode(samples.sample_deep_records())
            )
            == samples.sample_deep_records()
        )
    assert MAX_NESTING < 200


def run_cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stderr


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("records_200.avsc", deep_records(200)),  # the parser's limit, in samples.py
        ("records_400.avsc", deep_records(400)),  # a RecursionError in json.loads
        ("records_5000.avsc", deep_records(5000)),
        ("json_140.json", json.dumps(deep_json_arrays(140))),  # the metaschema check's limit
        ("arrays_200.avsc", json.dumps(deep_arrays(200))),
        ("brackets.json", "[" * 100_000 + "]" * 100_000),
    ],
)
def test_a_schema_nested_too_deep_is_refused_in_one_line_naming_the_file_and_the_limit(
    tmp_path: Path, name: str, text: str
) -> None:
    schemas = write_schemas(tmp_path / "schemas", {name: text})
    code, err = run_cli(str(schemas), "--out", str(tmp_path / "out"), "--package", "p")

    assert code == 1
    assert "Traceback" not in err
    problem, summary = err.splitlines()
    assert problem == (
        f"schemas/{name}: nested deeper than {MAX_DEPTH} levels of objects and arrays, "
        "the most pubsub-gen reads"
    )
    assert summary == "1 problem found; nothing written."
    assert not (tmp_path / "out").exists()


# -- 3: links in the output folder ------------------------------------------------------------


def test_a_linked_package_folder_is_refused_and_nothing_is_written_there(tmp_path: Path) -> None:
    schemas = write_schemas(tmp_path / "schemas", {"alpha.avsc": record("A", field("a", "int"))})
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "p").symlink_to(elsewhere, target_is_directory=True)

    code, err = run_cli(str(schemas), "--out", str(tmp_path / "out"), "--package", "p")

    assert code == 1
    assert err == (
        f"{tmp_path / 'out' / 'p'} is a symbolic link (to {elsewhere}): pubsub-gen writes only "
        "inside the output folder and does not follow links; remove the link\n"
    )
    assert list(elsewhere.iterdir()) == []


def test_a_linked_folder_inside_the_package_is_refused(tmp_path: Path) -> None:
    schemas = write_schemas(tmp_path / "schemas", {"alpha.avsc": record("A", field("a", "int"))})
    generate(schemas, tmp_path / "out", package="p")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "old.py").write_text("# Code generated by pubsub-gen 0.1 DO NOT EDIT.\n")
    handlers = tmp_path / "out" / "p" / "handlers"
    for path in handlers.iterdir():
        path.unlink()
    handlers.rmdir()
    handlers.symlink_to(elsewhere, target_is_directory=True)

    with pytest.raises(OutputError, match="handlers is a symbolic link"):
        generate(schemas, tmp_path / "out", package="p", cache=False)
    assert [p.name for p in elsewhere.iterdir()] == ["old.py"]  # neither written nor removed


def test_a_linked_cache_folder_is_neither_read_nor_written(tmp_path: Path) -> None:
    schemas = write_schemas(tmp_path / "schemas", {"alpha.avsc": record("A", field("a", "int"))})
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / ".pubsub-gen-cache").symlink_to(elsewhere, target_is_directory=True)

    first = generate(schemas, tmp_path / "out", package="p")
    second = generate(schemas, tmp_path / "out", package="p")

    assert list(elsewhere.iterdir()) == []
    assert (tmp_path / "out" / "p" / "alpha.py").is_file()
    assert first.written and not second.written  # still correct, only without the cache


# -- 4: named types called like type keywords -------------------------------------------------


def in_encoding(spec: Any, encoding: str) -> Any:
    """``spec`` with another wire encoding."""
    return TopicSpec(
        name=spec.name,
        model=spec.model,
        schema_type=spec.schema_type,
        definition=spec.definition,
        encoding=encoding,
        named_types=spec.named_types,
    )


def keywords_value(module: Any) -> Any:
    record_class = getattr(module, "Record", None) or module.RecordJ
    inner = record_class(
        next=None,
        e=module.Enum.B,
        f=b"xy",
        m=module.Map(x=7),
        err=module.Error(),
        arr=module.Array(y="why"),
        u=module.Map(x=8),
        items=[module.Map(x=9)],
    )
    return record_class(
        next=inner,
        e=module.Enum.A,
        f=b"ab",
        m=module.Map(x=1),
        err=module.Error(),
        arr=module.Array(y="y"),
        u=b"zz",
        items=[],
    )


def test_types_named_like_type_keywords_encode_byte_identical_to_fastavro(
    generated: tuple[Path, list[str]],
) -> None:
    out, _ = generated
    with imported(out, PACKAGE) as package:
        spec = package.TOPICS["keywords"]
        value = keywords_value(package.keywords)
        encoded = spec.encode(value)
        assert spec.encoding == "BINARY"
        assert spec.decode(encoded) == value
        in_json = package.TOPICS["keywords_json"]
        json_value = keywords_value(package.keywords_json)
        assert in_json.decode(in_json.encode(json_value)) == json_value
        json_text = json.loads(in_json.encode(json_value))
        assert json_text["next"] == {"record": json_text["next"]["record"]}  # the real names
        assert json_text["next"]["record"]["u"] == {"map": {"x": 8}}

    renamed, names = for_fastavro(KEYWORDS)
    assert names == {n: n + "_" for n in ("record", "enum", "fixed", "map", "error", "array")}
    datum = {
        "next": {
            "next": None,
            "e": "B",
            "f": b"xy",
            "m": {"x": 7},
            "err": {},
            "arr": {"y": "why"},
            "u": ("map_", {"x": 8}),
            "items": [{"x": 9}],
        },
        "e": "A",
        "f": b"ab",
        "m": {"x": 1},
        "err": {},
        "arr": {"y": "y"},
        "u": ("fixed_", b"zz"),
        "items": [],
    }
    reference = io.BytesIO()
    fastavro.schemaless_writer(reference, fastavro.parse_schema(renamed), datum)
    assert encoded == reference.getvalue()


# -- 5: invalid decimals are ignored, as the specification says -------------------------------


def test_an_invalid_decimal_is_its_underlying_type_with_a_warning(
    generated: tuple[Path, list[str]],
) -> None:
    out, found = generated
    assert sorted(w for w in found if "money.avsc" in w) == [
        "schemas/money.avsc:/fields/0/type/scale: invalid decimal ignored "
        "(scale 3 is not an integer from 0 to the precision): the type is plain bytes",
        "schemas/money.avsc:/fields/1/type/precision: invalid decimal "
        "ignored (precision 2.4 is not a positive integer): the type is plain bytes",
        "schemas/money.avsc:/fields/2/type/precision: invalid decimal "
        "ignored (a fixed of 2 bytes holds at most 4 decimal digits, not 9): the type is "
        "plain fixed",
    ]
    with imported(out, PACKAGE) as package:
        money = package.money.Money(scale=b"\x01", precision=b"\x02\x03", size=b"ab")
        spec = package.TOPICS["money"]
        assert spec.decode(spec.encode(money)) == money
        schema = fastavro.parse_schema(for_fastavro(INVALID_DECIMALS)[0])
        binary = in_encoding(spec, "BINARY").encode(money)
        assert fastavro.schemaless_reader(io.BytesIO(binary), schema) == {
            "scale": b"\x01",
            "precision": b"\x02\x03",
            "size": b"ab",
        }


def test_the_command_shows_a_schema_warning_in_one_line(tmp_path: Path) -> None:
    schemas = write_schemas(tmp_path / "schemas", {"money.avsc": INVALID_DECIMALS})
    done = subprocess.run(
        [sys.executable, "-m", "pubsub_gen", str(schemas), "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONWARNINGS": ""},
    )
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 3
    assert lines[0] == (
        "schemas/money.avsc:/fields/0/type/scale: warning: invalid decimal ignored "
        "(scale 3 is not an integer from 0 to the precision): the type is plain bytes"
    )


# -- 6: namespaces are blamed for themselves --------------------------------------------------


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        (
            record("R", namespace="a..b"),
            ":/namespace: invalid namespace 'a..b': its parts, between dots, may not be empty",
        ),
        (
            record("R", namespace="a/b"),
            ":/namespace: invalid namespace 'a/b': 'a/b': names must start with a letter or _ "
            "and hold only letters, digits and _",
        ),
        (
            record("R", namespace="../x"),
            ":/namespace: invalid namespace '../x': its parts, between dots, may not be empty",
        ),
        (
            record("a..b.R"),
            ":/name: invalid namespace in the name 'a..b.R': its parts, between dots, may not "
            "be empty",
        ),
        ({"type": "enum", "symbols": ["A"]}, ': an enum needs a "name"'),
    ],
)
def test_a_bad_namespace_is_blamed_on_the_namespace(
    tmp_path: Path, schema: dict[str, Any], expected: str
) -> None:
    schemas = write_schemas(tmp_path / "schemas", {"topic_a.avsc": schema})
    with pytest.raises(SchemaError) as caught:
        generate(schemas, tmp_path / "out")
    assert [str(p) for p in caught.value.problems] == [f"schemas/topic_a.avsc{expected}"]


# -- 7: comments in .avsc files ---------------------------------------------------------------


def test_an_avsc_file_with_comments_is_read(generated: tuple[Path, list[str]]) -> None:
    out, _ = generated
    with imported(out, PACKAGE) as package:
        spec = package.TOPICS["commented"]
        assert json.loads(spec.definition) == {
            "type": "record",
            "name": "Commented",
            "doc": 'a // and a /* are text in a string */ " still text',
            "fields": [{"name": "a", "type": "int"}],
        }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('/* licence */\n{"type": "record",\n  "name": ,}', "line 3:11: Expecting value"),
        ('// one\n// two\n["int" "long"]', "line 3:8: Expecting ',' delimiter"),
        ('{"type": "int"} /* never closed', "line 1:17: unterminated /* comment"),
    ],
)
def test_errors_after_comments_keep_their_line_and_column(
    tmp_path: Path, text: str, expected: str
) -> None:
    schemas = write_schemas(tmp_path / "schemas", {"topic_a.avsc": text})
    with pytest.raises(SchemaError) as caught:
        generate(schemas, tmp_path / "out")
    assert [str(p) for p in caught.value.problems] == [
        f"schemas/topic_a.avsc: malformed JSON at {expected}"
    ]


# -- 8: a topic file called topics.avsc -------------------------------------------------------


def test_a_topic_called_topics_does_not_shadow_the_package_mapping(
    generated: tuple[Path, list[str]],
) -> None:
    out, _ = generated
    assert constant_name("topics") == constant_name("TOPICS") == "TOPICS_TOPIC"
    with imported(out, PACKAGE) as package:
        assert package.TOPICS["topics"] is package.topics.TOPICS_TOPIC
        assert len(package.TOPICS) == len(WORKING)
