"""The cache note of the generated-package page: where the cache lives and how to skip it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from docs_support import DOCS_SRC, command_env


def generate(root: Path, *options: str) -> None:
    done = subprocess.run(
        ["pubsub-gen", *options], cwd=root, env=command_env(), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def project(root: Path) -> Path:
    shutil.copytree(DOCS_SRC / "concepts/schemas", root / "schemas")
    shutil.copy(DOCS_SRC / "concepts/pyproject_excerpt.toml", root / "pyproject.toml")
    return root


def test_the_cache_folder_ignores_itself_and_a_second_run_rewrites_nothing(
    tmp_path: Path,
) -> None:
    root = project(tmp_path)
    generate(root)
    [cache] = list(root.rglob(".pubsub-gen-cache"))
    rules = (cache / ".gitignore").read_text().splitlines()
    assert [rule for rule in rules if not rule.startswith("#")] == ["*"]
    written = {p: p.stat().st_mtime_ns for p in cache.parent.rglob("*.py")}
    generate(root)
    assert {p: p.stat().st_mtime_ns for p in cache.parent.rglob("*.py")} == written
    shutil.rmtree(cache)  # always safe
    generate(root, "--check")


def test_no_cache_neither_reads_nor_writes_it(tmp_path: Path) -> None:
    root = project(tmp_path)
    generate(root, "--no-cache")
    assert list(root.rglob(".pubsub-gen-cache")) == []
