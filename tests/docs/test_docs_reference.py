"""The example of the generator's API reference (reference/generator.md)."""

from __future__ import annotations

import importlib
import shutil
from pathlib import Path

import pytest
from docs_support import DOCS_SRC


def test_generate_from_python_writes_then_checks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    example = importlib.import_module("docs_src.reference.generate_example")
    schemas = tmp_path / "schemas"
    shutil.copytree(DOCS_SRC / "concepts/schemas", schemas)
    out = tmp_path / "src"

    assert not example.is_up_to_date(schemas, out)
    assert example.regenerate(schemas, out) == 0
    written = capsys.readouterr().out.splitlines()
    assert "wrote payments/payment_received.py" in written
    assert example.is_up_to_date(schemas, out)
    assert 'encoding="BINARY"' in (out / "payments/payment_received.py").read_text()


def test_generate_from_python_reports_invalid_schemas(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    example = importlib.import_module("docs_src.reference.generate_example")
    schemas = tmp_path / "schemas"
    schemas.mkdir()
    (schemas / "broken.avsc").write_text('{"type": "record", "name": "Broken"}')
    assert example.regenerate(schemas, tmp_path / "src") == 1
    problems = capsys.readouterr().err.splitlines()
    assert problems and all(line.startswith(str(Path("schemas/broken.avsc"))) for line in problems)
    assert not (tmp_path / "src").exists()


def test_samples_by_hand_gives_the_sample_pubsub_gen_could_not_build(tmp_path: Path) -> None:
    """reference/testing.md: samples_by_hand.py provides the message of a topic whose
    schema defeats the sample builder; the generated tests then pass instead of skipping."""
    import json
    import subprocess
    import sys

    from pubsub_gen import generate

    schemas = tmp_path / "schemas"
    schemas.mkdir()
    code = {"type": "string", "pattern": "^(?=.*[0-9])[a-z0-9]{4}$"}
    schema = {"type": "object", "required": ["code"], "properties": {"code": code}}
    (schemas / "codes.json").write_text(json.dumps(schema))
    generate(schemas, tmp_path / "out", package="hand")
    shutil.copyfile(DOCS_SRC / "reference/samples_by_hand.py", tmp_path / "out/hand/samples_by_hand.py")
    options = ["-p", "no:cacheprovider", "-o", "asyncio_mode=auto"]
    options += ["-o", "asyncio_default_fixture_loop_scope=function"]
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", *options, "hand"],
        cwd=tmp_path / "out",
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0 and "4 passed" in done.stdout, done.stdout
