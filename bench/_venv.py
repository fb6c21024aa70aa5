"""The FastPubSub 0.9.8 venv (it needs Python 3.12), created on demand under ``.bench-venvs/``.

When it cannot be created (no Python 3.12, no package index), the comparison is skipped with
the reason instead of failing the whole run.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from bench.find_python import find_python
from bench.payloads import REPO

VERSION = "0.9.8"
VENV = REPO / ".bench-venvs" / f"fastpubsub-{VERSION}"
_CHECK = (
    "import importlib.metadata as m, fastavro, pydantic; "
    f"assert m.version('fastpubsub') == '{VERSION}'"
)


def _works(python: Path) -> bool:
    if not python.is_file():
        return False
    done = subprocess.run([str(python), "-c", _CHECK], capture_output=True, check=False)
    return done.returncode == 0


def ensure_fastpubsub() -> tuple[Path | None, str]:
    """The venv's python, or None and the reason it could not be made."""
    python = VENV / "bin" / "python"
    if _works(python):
        return python, ""
    base = find_python("3.12")
    if base is None:
        return None, "no working Python 3.12 on PATH, in pyenv or uv (set BENCH_PYTHON312)"
    print(f"creating {VENV} with {base} (FastPubSub {VERSION} needs Python 3.12)", flush=True)
    steps = (
        [base, "-m", "venv", "--clear", str(VENV)],
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            f"fastpubsub=={VERSION}",
            "fastavro",
            "pydantic",
        ],
    )
    for step in steps:
        try:
            done = subprocess.run(step, capture_output=True, text=True, timeout=900, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return None, f"{' '.join(step[:3])} failed: {exc}"
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            return None, f"{' '.join(step[:3])} failed: {' / '.join(tail)}"
    if not _works(python):
        return None, f"fastpubsub {VERSION} is not importable in {VENV}"
    return python, ""
