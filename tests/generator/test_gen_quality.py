"""Generated code passes the project's own ruff and ``mypy --strict`` settings."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from avro_features import FEATURES
from gen_support import REPO, SCHEMAS, generate, write_schemas
from shared_corpus import shared_path, shared_path_or_none
from test_gen_hardening import WORKING as HARDENED
from test_gen_injection import HOSTILE

import pubsub_gen
from pubsub_gen import SchemaWarning
from pubsub_gen import format as formatting
from pubsub_gen.errors import SampleNote
from pubsub_gen.format import FIXES, SETTINGS

BIN = Path(sys.executable).parent
GOLDEN = Path(__file__).resolve().parent / "golden"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every kind of output side by side: examples, features, conformance, hostile text, the
    edges of issue 19 (deep nesting, type keyword names, comments, ...), and topics without a
    possible sample (samples.py raises ``SampleMissing`` with a long message)."""
    root = tmp_path_factory.mktemp("quality")
    out = root / "out"
    pubsub_gen.generate(SCHEMAS, out, package="examples")
    features = write_schemas(
        root / "features", {f"{n}.avsc": json.dumps(s) for n, s in FEATURES.items()}
    )
    generate(features, out, package="features", encoding="binary")
    conformance = shared_path_or_none("conformance", "avro")
    if conformance is not None:  # test_the_conformance_schemas_are_checked_too says when not
        generate(conformance, out, package="conformance")
    hostile = {
        f"hostile_{i}.avsc": {
            "type": "record",
            "name": f"Hostile{i}",
            "doc": text,
            "fields": [{"name": "x", "type": "string", "default": text, "doc": text}],
        }
        for i, text in enumerate(HOSTILE)
    }
    generate(write_schemas(root / "hostile", hostile), out, package="hostile")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SchemaWarning)  # the invalid decimals, ignored
        generate(
            write_schemas(root / "hardened", HARDENED),
            out,
            package="hardened",
            topics={"keywords": {"encoding": "binary"}, "keywords_json": {"model": "RecordJ"}},
        )
    impossible = {"type": "string", "minLength": 5, "maxLength": 2}
    no_sample = {
        "loop.avsc": {
            "type": "record",
            "name": "Loop",
            "fields": [{"name": "me", "type": "Loop"}],
        },
        "odd.json": {
            "title": "Odd",
            "type": "object",
            "required": ["s"],
            "properties": {"s": impossible},
        },
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SampleNote)
        generate(write_schemas(root / "no_sample", no_sample), out, package="no_sample")
    return out


def test_topics_without_a_sample_are_in_the_checked_output(generated: Path) -> None:
    assert (generated / "no_sample" / "samples.py").read_text().count("raise SampleMissing(") == 2


def run(*command: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)


def test_generated_code_passes_ruff_check(generated: Path) -> None:
    config = REPO / "pyproject.toml"
    done = run(BIN / "ruff", "check", "--no-cache", "--config", config, ".", cwd=generated)
    assert done.returncode == 0, done.stdout + done.stderr


def test_generated_code_is_ruff_formatted(generated: Path) -> None:
    config = REPO / "pyproject.toml"
    done = run(
        BIN / "ruff", "format", "--check", "--no-cache", "--config", config, ".", cwd=generated
    )
    assert done.returncode == 0, done.stdout + done.stderr


def needs_fixing(folder: Path) -> str:
    """What ``ruff check --fix`` at format.py's pinned settings would change under ``folder``
    (import order, unused imports, ``__all__`` order; E501 too: a long line must be marked)."""
    done = run(BIN / "ruff", "check", f"{FIXES},E501", "--diff", *SETTINGS, ".", cwd=folder)
    findings = run(BIN / "ruff", "check", f"{FIXES},E501", *SETTINGS, ".", cwd=folder)
    return "" if findings.returncode == 0 else done.stdout + findings.stdout + findings.stderr


def test_generated_code_needs_no_fixing(generated: Path) -> None:
    # format.py runs only ``ruff format``: the renderer must write what ruff's fixes would.
    assert needs_fixing(generated) == ""


@pytest.mark.parametrize("folder", [REPO / "generated_example", *GOLDEN.glob("*/expected")])
def test_golden_output_needs_no_fixing(folder: Path) -> None:
    assert needs_fixing(folder) == ""


def test_a_run_formats_with_one_ruff_format_call_per_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real = subprocess.run

    def spy(command: list[str], **options: object) -> object:
        calls.append(command[1])
        return real(command, **options)  # type: ignore[call-overload]

    monkeypatch.setattr(formatting.subprocess, "run", spy)
    pubsub_gen.generate(SCHEMAS, tmp_path / "out", package="examples", cache=False)
    # A named type's entry past 100 columns: the renderer marks it, no ruff check call does.
    name = "Status" * 10
    enum = {"type": "enum", "name": name, "symbols": ["A"]}
    long = {"type": "record", "name": "R", "fields": [{"name": "s", "type": enum}]}
    schemas = write_schemas(tmp_path / "long", {"long_names.avsc": json.dumps(long)})
    generate(schemas, tmp_path / "out", package="long")
    assert "# noqa: E501" in (tmp_path / "out" / "long" / "long_names.py").read_text()
    assert calls and set(calls) == {"format"}


def test_a_named_type_too_long_for_one_literal_is_split_and_left_unmarked(tmp_path: Path) -> None:
    # Its full name is cut into pieces over several lines: a noqa there would be unused (RUF100).
    namespace = ".".join(["x" * 40] * 3)
    record = {"type": "record", "name": "Payload", "namespace": namespace, "fields": []}
    schemas = write_schemas(tmp_path / "s", {"very_long.avsc": json.dumps(record)})
    generate(schemas, tmp_path / "out", package="deep")
    config = REPO / "pyproject.toml"
    done = run(BIN / "ruff", "check", "--no-cache", "--config", config, ".", cwd=tmp_path / "out")
    assert done.returncode == 0, done.stdout + done.stderr
    assert namespace not in (tmp_path / "out" / "deep" / "very_long.py").read_text()


def test_generated_code_passes_mypy_strict(generated: Path, tmp_path: Path) -> None:
    done = run(
        BIN / "mypy",
        "--strict",
        "--config-file",
        REPO / "pyproject.toml",
        "--cache-dir",
        tmp_path / "mypy-cache",
        ".",
        cwd=generated,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_generated_lines_fit_in_100_columns(generated: Path) -> None:
    # Except, as for ruff's E501, a line of one token: deep nesting indents past 100 columns.
    long_lines = [
        f"{path}:{number}"
        for path in generated.rglob("*.py")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if len(line) > 100 and len(line.split()) > 1
    ]
    assert not long_lines


def test_the_conformance_schemas_are_checked_too(generated: Path) -> None:
    """The checks above cover Apache Avro's interop schemas only when ../shared is present."""
    shared_path("conformance", "avro")
    assert (generated / "conformance" / "interop.py").is_file()
