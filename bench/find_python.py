"""Find a working interpreter of one Python version the way a user's machine has it.

``python -m bench.find_python 3.12`` prints its path (exit 1 when there is none); the
Makefile uses it for the suite's 3.12 run and the FastPubSub comparison for its venv.
Standard library only, so any Python can run it before a venv exists.

Looked at in order: ``$BENCH_PYTHON<major><minor>`` (e.g. ``BENCH_PYTHON312``), then every
``pythonX.Y`` on PATH, then pyenv's installed versions (``$PYENV_ROOT`` or ``pyenv root``,
``versions/X.Y*/bin/python``, newest first), then ``uv python find X.Y``. Each candidate is
run once: a pyenv shim on PATH exists as a file but fails unless that version is active, so
a candidate counts only when it starts and reports the version asked for.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

_PROBE = "import sys; print('%d.%d' % sys.version_info[:2])"


def reports_version(python: str, version: str) -> bool:
    """Whether ``python`` starts and is the ``version`` (``"3.12"``) asked for."""
    try:
        done = subprocess.run(
            [python, "-c", _PROBE], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0 and done.stdout.strip() == version


def _pyenv_root() -> Path | None:
    root = os.environ.get("PYENV_ROOT")
    if root:
        return Path(root)
    pyenv = shutil.which("pyenv")
    if pyenv:
        try:
            done = subprocess.run(
                [pyenv, "root"], capture_output=True, text=True, timeout=30, check=False
            )
        except (OSError, subprocess.TimeoutExpired):
            done = None
        if done is not None and done.returncode == 0 and done.stdout.strip():
            return Path(done.stdout.strip())
    default = Path.home() / ".pyenv"
    return default if default.is_dir() else None


def _patch_level(path: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", path.parent.parent.name))


def candidates(version: str) -> Iterator[str]:
    """Every place ``version`` may live, in the order a user's shell would find it."""
    override = os.environ.get("BENCH_PYTHON" + version.replace(".", ""))
    if override:
        yield override
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        path = Path(folder or ".") / f"python{version}"
        if path.is_file() and os.access(path, os.X_OK):
            yield str(path)
    root = _pyenv_root()
    if root is not None:
        # 3.12.1, 3.12.8: newest patch first.
        installed = sorted(
            (root / "versions").glob(f"{version}*/bin/python"), key=_patch_level, reverse=True
        )
        yield from (str(path) for path in installed)
    uv = shutil.which("uv")
    if uv:
        try:
            done = subprocess.run(
                [uv, "python", "find", version],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            done = None
        if done is not None and done.returncode == 0 and done.stdout.strip():
            yield done.stdout.strip()


def find_python(version: str) -> str | None:
    """The first working interpreter of ``version``, or None."""
    seen: set[str] = set()
    for candidate in candidates(version):
        if candidate in seen:
            continue
        seen.add(candidate)
        if reports_version(candidate, version):
            return candidate
    return None


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not re.fullmatch(r"\d+\.\d+", argv[0]):
        print("usage: python -m bench.find_python X.Y", file=sys.stderr)
        return 2
    found = find_python(argv[0])
    if found is None:
        print(f"no working Python {argv[0]} found (PATH, pyenv, uv)", file=sys.stderr)
        return 1
    print(found)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
