"""A contributor's fresh clone, with nothing beside it, collects the whole suite.

The public corpora live beside the repository (`../shared/`) and are never copied into it; a
clone without them must still collect every test, and the tests that read them skip with the
reason naming the folder.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# The tests that read ../shared/conformance, selected by name.
CONFORMANCE_TESTS = [
    "tests/runtime/test_codec_avro.py::test_binary_round_trips",
    "tests/generator/test_asyncapi.py::test_the_conformance_avro_schemas_are_valid_payloads",
    "tests/generator/test_gen_roundtrip.py::test_conformance_round_trips",
    "tests/generator/test_gen_models.py::test_reserved_enum_symbols_become_safe_members",
]


def run(*command: str | Path, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`git clone` of the commit under test into an empty folder: no ../shared beside it."""
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.strip()
    empty = tmp_path_factory.mktemp("fresh")
    target = empty / "pubsub-gen"
    subprocess.run(
        ["git", "clone", "--quiet", "--no-checkout", str(REPO), str(target)],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        ["git", "checkout", "--quiet", commit], cwd=target, check=True, capture_output=True
    )
    assert sorted(p.name for p in empty.iterdir()) == ["pubsub-gen"]
    return target


def without_ci() -> dict[str, str]:
    """A contributor's shell: CI unset, so an absent corpus skips instead of failing."""
    env = {k: v for k, v in os.environ.items() if k != "CI" and not k.startswith("PYTEST_")}
    return {**env, "COLUMNS": "400"}  # skip reasons unabridged


def test_the_suite_collects_without_the_shared_folder(clone: Path) -> None:
    done = run(
        sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
        cwd=clone, env=without_ci(),
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "error" not in done.stdout.lower().rsplit("\n", 3)[-2], done.stdout[-2000:]
    collected = [line for line in done.stdout.splitlines() if "::" in line]
    assert any("conformance-interop" in line for line in collected)
    assert len(collected) > 1000


def test_the_conformance_tests_skip_with_the_folder_named(clone: Path) -> None:
    done = run(
        sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
        "-k", "conformance or reserved", *CONFORMANCE_TESTS,
        cwd=clone, env=without_ci(),
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    summary = done.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"\d+ skipped, \d+ deselected in .*", summary), done.stdout[-3000:]
    skips = [line for line in done.stdout.splitlines() if line.startswith("SKIPPED")]
    missing = clone.parent / "shared" / "conformance" / "avro"
    assert skips and all(str(missing) in line and "is absent" in line for line in skips), skips


def test_under_ci_an_absent_corpus_fails_instead(clone: Path) -> None:
    done = run(
        sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
        "-k", "conformance", CONFORMANCE_TESTS[0],
        cwd=clone, env={**without_ci(), "CI": "true"},
    )  # fmt: skip
    assert done.returncode == 1, done.stdout[-3000:]
    assert "CI is set, so this is a failure, not a skip" in done.stdout
