"""The golden cases: schema folders whose generated output is checked in, and the one command
that regenerates them all (``make generate``, or ``python tests/generator/golden_cases.py
[CASE ...]``).

A case is a folder holding a ``pyproject.toml`` whose ``[tool.pubsub-gen]`` names its ``schemas``
folder and its ``out`` folder (the expected output), and, when it has Avro topics, the revision
lock file ``pubsub-gen.lock`` beside it (an input the run also rewrites). The cases are the
repository itself (``schemas/`` -> ``generated_example/``, the specification's golden record)
and every folder under ``tests/generator/golden/`` (``schemas/`` -> ``expected/``).

A case is generated in a scratch copy of its inputs, from scratch (no cache, and the user's files
such as handler stubs written afresh), so that neither a test nor a failed run touches the
checked-in files. The test compares that output with the case's, every file, both ways; the
command replaces the case's output with it. Both take the same path, so what the command writes
is what the test expects.
"""

from __future__ import annotations

import difflib
import shutil
import sys
import tempfile
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pubsub_gen

REPO = Path(__file__).resolve().parents[2]
GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
LOCK = "pubsub-gen.lock"
EXAMPLE = "example"  # the repository's own case: schemas/ -> generated_example/
_DIFF_LINES = 40  # of the first different file, in a failure message


@dataclass(frozen=True)
class Case:
    name: str
    root: Path  # the folder of the case's pyproject.toml

    def setting(self, key: str) -> str:
        """``[tool.pubsub-gen].<key>`` of the case, which it must set (read here, so that only
        pubsub-gen's public API is used)."""
        data = tomllib.loads((self.root / "pyproject.toml").read_text(encoding="utf-8"))
        value = data["tool"]["pubsub-gen"][key]
        if not isinstance(value, str):
            raise TypeError(f"{self.root}: [tool.pubsub-gen].{key} must be a string")
        return value

    @property
    def schemas(self) -> Path:
        return (self.root / self.setting("schemas")).resolve()

    @property
    def package(self) -> str:
        return self.setting("package")

    @property
    def expected(self) -> Path:
        """The case's ``out`` folder, which the command replaces as a whole: it must hold nothing
        but output."""
        out = (self.root / self.setting("out")).resolve()
        if not out.is_relative_to(self.root) or out == self.root:
            raise ValueError(f"{self.root}: out must be a folder inside the case, not {out}")
        if self.schemas.is_relative_to(out):
            raise ValueError(f"{self.root}: the schemas folder is inside out ({out})")
        return out


def cases() -> list[Case]:
    """The repository's case, then every folder under ``golden/``, by name."""
    found = [Case(EXAMPLE, REPO)]
    for folder in sorted(GOLDEN_DIR.iterdir()):
        if (folder / "pyproject.toml").is_file():
            found.append(Case(folder.name, folder))
    return found


def generate(case: Case, scratch: Path) -> None:
    """Generate ``case`` from a copy of its inputs in the empty folder ``scratch``."""
    shutil.copy2(case.root / "pyproject.toml", scratch / "pyproject.toml")
    shutil.copytree(case.schemas, scratch / case.schemas.relative_to(case.root))
    if (case.root / LOCK).is_file():
        shutil.copy2(case.root / LOCK, scratch / LOCK)
    pubsub_gen.generate(pyproject=scratch / "pyproject.toml", cache=False)


def outputs(case: Case, root: Path) -> dict[str, bytes]:
    """The case's output files under ``root`` (the case's folder or a scratch copy), by path
    relative to it: the ``out`` folder (caches and hidden files left out) and the lock file."""
    out = root / case.expected.relative_to(case.root)
    found: dict[str, bytes] = {}
    for path in sorted(out.rglob("*")):
        parts = path.relative_to(root).parts
        if path.is_file() and not any(p == "__pycache__" or p.startswith(".") for p in parts):
            found[path.relative_to(root).as_posix()] = path.read_bytes()
    if (root / LOCK).is_file():
        found[LOCK] = (root / LOCK).read_bytes()
    return found


def changed_files(case: Case, scratch: Path) -> list[str]:
    """One line per file that differs between the case's checked-in output and the one
    generated in ``scratch``: missing, extra or different."""
    expected, produced = outputs(case, case.root), outputs(case, scratch)
    lines: list[str] = []
    for path in sorted(expected.keys() | produced.keys()):
        old, new = expected.get(path), produced.get(path)
        if old is None:
            lines.append(f"missing: {path} (generated, not checked in)")
        elif new is None:
            lines.append(f"extra: {path} (checked in, not generated)")
        elif old != new:
            lines.append(f"different: {path}")
    return lines


def first_diff(case: Case, scratch: Path) -> list[str]:
    """The start of the unified diff of the first file whose content differs."""
    expected, produced = outputs(case, case.root), outputs(case, scratch)
    for path in sorted(expected.keys() & produced.keys()):
        if expected[path] != produced[path]:
            return list(
                difflib.unified_diff(
                    expected[path].decode(errors="replace").splitlines(),
                    produced[path].decode(errors="replace").splitlines(),
                    f"{path} (checked in)",
                    f"{path} (generated)",
                    lineterm="",
                )
            )[:_DIFF_LINES]
    return []


def regenerate(case: Case) -> list[str]:
    """Replace the case's output with a fresh generation; returns the files that changed."""
    with tempfile.TemporaryDirectory(prefix=f"golden-{case.name}-") as folder:
        scratch = Path(folder)
        generate(case, scratch)
        changed = changed_files(case, scratch)
        if not changed:
            return []
        expected = case.expected
        shutil.rmtree(expected, ignore_errors=True)
        shutil.copytree(
            scratch / expected.relative_to(case.root),
            expected,
            ignore=shutil.ignore_patterns(".*", "__pycache__"),
        )
        if (scratch / LOCK).is_file():
            shutil.copy2(scratch / LOCK, case.root / LOCK)
        else:
            (case.root / LOCK).unlink(missing_ok=True)
        return changed


def main(argv: Sequence[str]) -> int:
    """Regenerate the cases named in ``argv`` (all when none); prints what changed."""
    known = {case.name: case for case in cases()}
    unknown = [name for name in argv if name not in known]
    if unknown:
        print(f"unknown cases: {', '.join(unknown)} (known: {', '.join(known)})", file=sys.stderr)
        return 2
    failed = False
    for case in [known[name] for name in argv] if argv else known.values():
        where = case.expected.relative_to(REPO)
        try:
            changed = regenerate(case)
        except Exception as exc:  # one case's failure leaves its output as it was
            print(f"{case.name}: {where}: not regenerated: {exc}", file=sys.stderr)
            failed = True
            continue
        count = f"{len(changed) or 'no'} file{'' if len(changed) == 1 else 's'}"
        print(f"{case.name}: {where}: {count} changed")
        for line in changed:
            print(f"  {line}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
