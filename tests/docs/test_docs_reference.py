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
