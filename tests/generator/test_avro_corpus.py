"""Apache Avro's own schema test corpus, read in place from ``../shared/conformance/``.

Its manifest flags each schema valid or invalid and gives the expected verdict of each
reader/writer pair. Every valid schema generates (in one batch, with its warnings) and its
codecs round-trip random fastavro data byte for byte in both encodings, unless it is listed
in ``avro_corpus_refusals.json`` with the words of the specification that allow refusing it.
Every invalid one is refused, each problem in one line; ``check-compat`` agrees with every
expected verdict.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fastavro
import pytest
from avro_random import AvroRandom
from click.testing import CliRunner
from gen_support import generate, imported
from shared_corpus import shared_path, shared_path_or_none

from pubsub_gen import SchemaError, SchemaWarning
from pubsub_gen.cli import main
from pubsub_runtime import TopicSpec
from pubsub_runtime._codecs.avro import for_fastavro

HERE = Path(__file__).parent
REFUSALS: dict[str, dict[str, str]] = json.loads(
    (HERE / "avro_corpus_refusals.json").read_text(encoding="utf-8")
)["refused"]
_FOUND = shared_path_or_none("conformance", "avro-test-corpus", "manifest.json")
MANIFEST: dict[str, Any] = json.loads(_FOUND.read_text(encoding="utf-8")) if _FOUND else {}
VALID = [s["id"] for s in MANIFEST.get("schemas", ()) if s["valid"]]
INVALID = [s["id"] for s in MANIFEST.get("schemas", ()) if not s["valid"]]
PACKAGE = "avro_corpus"
ROUNDS = 12  # random data per schema (seeded)
# One problem line: path, an optional JSON pointer, a message (no line breaks, no traceback).
PROBLEM = re.compile(r"schemas/(ts\d+)\.avsc(?::/\S*)?: \S.*")


def corpus() -> Path:
    return shared_path("conformance", "avro-test-corpus")


def entry(schema_id: str) -> dict[str, Any]:
    return next(s for s in MANIFEST["schemas"] if s["id"] == schema_id)


def copy_schemas(ids: list[str], folder: Path) -> Path:
    """The corpus files ``ids`` as ``<id>.avsc`` in ``folder`` (generation reads a folder)."""
    folder.mkdir(parents=True)
    for schema_id in ids:
        shutil.copyfile(corpus() / entry(schema_id)["file"], folder / f"{schema_id}.avsc")
    return folder


def distinct_models(ids: list[str]) -> dict[str, dict[str, str]]:
    """Per-topic payload class names: many corpus records share a name (``Test``)."""
    return {schema_id: {"model": f"{schema_id.capitalize()}Payload"} for schema_id in ids}


class Generated:
    def __init__(self, specs: dict[str, TopicSpec[Any]], refused: dict[str, str]) -> None:
        self.specs = specs
        self.refused = refused  # id -> its problem lines
        self.warnings: list[str] = []


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Generated]:
    corpus()  # without ../shared: skip with the reason (fail under CI=true), not an empty batch
    root = tmp_path_factory.mktemp("avro-corpus")
    ids = list(VALID)
    refused: dict[str, str] = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        schemas = copy_schemas(ids, root / "schemas")
        try:
            generate(schemas, root / "out", package=PACKAGE, topics=distinct_models(ids))
        except SchemaError as error:
            for problem in error.problems:
                schema_id = problem.path.stem
                refused[schema_id] = refused.get(schema_id, "") + str(problem) + "\n"
            kept = [i for i in ids if i not in refused]
            shutil.rmtree(schemas)
            schemas = copy_schemas(kept, root / "schemas")
            generate(schemas, root / "out", package=PACKAGE, topics=distinct_models(kept))
    with imported(root / "out", PACKAGE) as package:
        result = Generated(dict(package.TOPICS), refused)
        result.warnings = [str(w.message) for w in caught if w.category is SchemaWarning]
        yield result


def test_the_corpus_is_there() -> None:
    corpus()
    assert len(VALID) > 50 and len(INVALID) > 10 and len(MANIFEST["compat"]) > 100


def test_only_the_listed_valid_schemas_are_refused_and_for_the_listed_reason(
    generated: Generated,
) -> None:
    assert sorted(generated.refused) == sorted(REFUSALS)
    for schema_id, listed in REFUSALS.items():
        assert listed["refusal"] in generated.refused[schema_id]
        assert listed["specification"]


def recursive(parsed: Any) -> bool:
    """Whether a named type of ``parsed`` (fastavro's form: full names) contains itself."""
    named = parsed.get("__named_schemas", {}) if isinstance(parsed, dict) else {}

    def refers(node: Any, name: str, seen: set[str]) -> bool:
        if isinstance(node, str):
            if node == name:
                return True
            if node in named and node not in seen:
                return refers(named[node], name, seen | {node})
            return False
        if isinstance(node, list):
            return any(refers(b, name, seen) for b in node)
        if isinstance(node, dict):
            parts = [f["type"] for f in node.get("fields", ())]
            parts += [node[k] for k in ("items", "values") if k in node]
            return any(refers(p, name, seen) for p in parts)
        return False

    return any(refers(definition, name, {name}) for name, definition in named.items())


def in_encoding(spec: TopicSpec[Any], encoding: str) -> TopicSpec[Any]:
    return TopicSpec(
        name=spec.name,
        model=spec.model,
        schema_type="AVRO",
        encoding=encoding,
        definition=spec.definition,
        named_types=spec.named_types,
    )


@pytest.mark.parametrize("schema_id", VALID)
def test_a_valid_schema_round_trips_byte_identical_to_fastavro(
    generated: Generated, schema_id: str
) -> None:
    if schema_id in generated.refused:
        pytest.skip(f"refused, as listed: {REFUSALS[schema_id]['refusal']}")
    spec = generated.specs[schema_id]
    # fastavro misreads types named like its keywords: it gets them renamed (same bytes).
    schema, renamed = for_fastavro(json.loads(spec.definition))
    parsed = fastavro.parse_schema(schema)
    binary, as_json = in_encoding(spec, "BINARY"), in_encoding(spec, "JSON")
    # fastavro's JSON writer never ends on recursive schemas, and knows no "error" type
    json_reference = not recursive(parsed) and '"error"' not in json.dumps(schema)
    for index, datum in enumerate(AvroRandom(schema, seed=len(schema_id)).many(ROUNDS)):
        written = io.BytesIO()
        fastavro.schemaless_writer(written, parsed, datum)
        model = binary.decode(written.getvalue())
        assert isinstance(model, spec.model)
        assert binary.encode(model) == written.getvalue(), f"{schema_id} #{index}: binary"
        text = as_json.encode(model)
        assert as_json.decode(text) == model, f"{schema_id} #{index}: JSON round trip"
        if json_reference and not renamed:
            expected = io.StringIO()
            fastavro.json_writer(expected, parsed, [datum], write_union_type=True)
            assert json.loads(text) == json.loads(expected.getvalue()), f"{schema_id} #{index}"


def test_ignored_logical_types_are_warned_about_where_the_corpus_expects_it(
    generated: Generated,
) -> None:
    for schema in MANIFEST["schemas"]:
        if schema["expected_warnings"]:
            ours = [w for w in generated.warnings if w.startswith(f"schemas/{schema['id']}.avsc")]
            assert len(ours) == len(schema["expected_warnings"]), (schema["id"], ours)
            assert all("the type is plain" in w for w in ours)
    schemas_warned = {w.partition(".avsc")[0] for w in generated.warnings}
    assert schemas_warned == {
        f"schemas/{s['id']}" for s in MANIFEST["schemas"] if s["expected_warnings"]
    }


def test_every_invalid_schema_is_refused_one_line_per_problem(tmp_path: Path) -> None:
    corpus()
    schemas = copy_schemas(INVALID, tmp_path / "schemas")
    result = CliRunner().invoke(
        main, [str(schemas), "--out", str(tmp_path / "out"), "--package", "p"]
    )

    assert result.exit_code == 1
    assert "Traceback" not in result.stderr
    *lines, summary = result.stderr.splitlines()
    assert summary == f"{len(lines)} problems found; nothing written."
    refused = set()
    for line in lines:
        match = PROBLEM.fullmatch(line.replace(str(tmp_path) + "/", ""))
        assert match, line
        refused.add(match.group(1))
    assert refused == set(INVALID)
    assert not (tmp_path / "out").exists()


def test_check_compat_agrees_with_every_expected_verdict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus()
    pairs = MANIFEST["compat"]
    for side in ("writer", "reader"):
        folder = tmp_path / side
        folder.mkdir()
        for pair in pairs:
            shutil.copyfile(corpus() / pair[side], folder / f"{pair['id']}.avsc")
    tables = "".join(
        f'[tool.pubsub-gen.topics.{pair["id"]}]\nmodel = "{pair["id"].capitalize()}Payload"\n'
        for pair in pairs
    )
    (tmp_path / "pyproject.toml").write_text("[tool.pubsub-gen]\n" + tables, encoding="utf-8")
    monkeypatch.chdir(tmp_path)

    # backward: the reader (new) reads what the writer (old) wrote
    result = CliRunner().invoke(main, ["check-compat", "writer", "reader", "--format", "json"])

    assert result.exit_code in (0, 1), result.stderr
    findings = json.loads(result.stdout)
    breaking = {f["topic"] for f in findings if f["fails"] and f["direction"] == "backward"}
    verdicts = {p["id"]: "incompatible" if p["id"] in breaking else "compatible" for p in pairs}
    assert verdicts == {p["id"]: p["expected"] for p in pairs}
