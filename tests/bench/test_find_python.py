"""``python -m bench.find_python X.Y``: the interpreter lookup of the suite's 3.12 run
(``make pytest-3.12``) and of the FastPubSub comparison.

A pyenv shim on PATH exists but fails unless its version is the active one: the lookup must
go on to pyenv's installed versions instead of giving up (or returning the shim).
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _script(path: Path, body: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def _find(version: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bench.find_python", version],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def machine(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A PATH holding only a failing pyenv-style shim, and a pyenv root with two 3.12s."""
    shims = tmp_path / "shims"
    _script(shims / "python3.12", "echo 'pyenv: python3.12: command not found' >&2; exit 127")
    root = tmp_path / "pyenv"
    for patch in ("3.12.1", "3.12.10"):
        _script(root / "versions" / patch / "bin" / "python", "echo 3.12")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BENCH_PYTHON", "PYENV"))}
    env.update(PATH=str(shims), PYENV_ROOT=str(root))
    return root, env


def test_a_failing_shim_is_passed_over_for_the_newest_pyenv_version(machine):
    root, env = machine
    done = _find("3.12", env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(root / "versions" / "3.12.10" / "bin" / "python")


def test_an_interpreter_of_another_version_does_not_count(machine, tmp_path):
    root, env = machine
    wrong = tmp_path / "wrong" / "python"
    _script(wrong, "echo 3.11")
    done = _find("3.12", {**env, "BENCH_PYTHON312": str(wrong)})
    assert done.stdout.strip() == str(root / "versions" / "3.12.10" / "bin" / "python")


def test_no_such_version_exits_1_with_the_places_looked_at(machine):
    _, env = machine
    done = _find("3.99", env)
    assert done.returncode == 1
    assert done.stdout == ""
    assert "no working Python 3.99" in done.stderr


def test_on_this_machine_it_returns_a_working_312_or_exits_1():
    done = _find("3.12", dict(os.environ))
    if done.returncode == 1:
        pytest.skip("no Python 3.12 on this machine")
    found = done.stdout.strip()
    version = subprocess.run(
        [found, "-c", "import sys; print(sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert version.strip() == "(3, 12)"
