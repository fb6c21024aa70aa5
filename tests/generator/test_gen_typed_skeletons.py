"""The generated test skeletons pass as generated, and the service files are lint-clean.

Each case generates a package into a temporary folder, gives it the pytest settings a service
has (``asyncio_mode = "auto"``) and runs its skeleton tests in a subprocess.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from avro_features import FEATURES
from gen_support import SCHEMAS, conformance_schemas, generate, write_schemas
from ruff.__main__ import find_ruff_bin  # type: ignore[import-untyped]

import pubsub_gen

SERVICE_PYTEST = """\
[tool.pytest.ini_options]
asyncio_mode = "auto"
asyncio_default_fixture_loop_scope = "function"
"""
# The lint rules of the repository (and of a service made from the template).
LINT_RULES = "--select=E,F,W,I,UP,B,SIM,RUF,ASYNC"

CASES = ["examples", "features", "conformance"]


def generate_case(case: str, out: Path) -> str:
    """Generate the package of ``case`` under ``out``; returns its name."""
    if case == "examples":
        pubsub_gen.generate(SCHEMAS, out, package="skeleton_examples")
        return "skeleton_examples"
    if case == "conformance":
        generate(conformance_schemas(), out, package="skeleton_conformance")
        return "skeleton_conformance"
    schemas = write_schemas(
        out.parent / "schemas", {f"{n}.avsc": json.dumps(s) for n, s in FEATURES.items()}
    )
    generate(schemas, out, package="skeleton_features")
    return "skeleton_features"


@pytest.mark.parametrize("case", CASES)
def test_the_skeleton_tests_pass_as_generated(tmp_path: Path, case: str) -> None:
    out = tmp_path / "out"
    package = generate_case(case, out)
    (out / "pyproject.toml").write_text(SERVICE_PYTEST, encoding="utf-8")
    tests = sorted((out / package / "tests").glob("test_*.py"))
    expected = sum(len(re.findall(r"^(?:async )?def test_", t.read_text(), re.M)) for t in tests)

    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"{package}/tests"],
        cwd=out,
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert f"{expected} passed" in done.stdout, done.stdout[-2000:]
    assert expected >= 3 * len(tests)


@pytest.mark.parametrize("case", CASES)
def test_the_generated_service_is_lint_clean(tmp_path: Path, case: str) -> None:
    out = tmp_path / "out"
    generate_case(case, out)
    ruff = find_ruff_bin()
    for command in (
        [ruff, "check", "--isolated", "--no-cache", LINT_RULES, "--line-length=100", "."],
        [ruff, "format", "--check", "--isolated", "--no-cache", "--line-length=100", "."],
    ):
        done = subprocess.run(command, cwd=out, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
