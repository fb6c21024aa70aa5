"""Step 4: format every rendered file of a run, in one pass, with ruff at pinned settings.

The renderer writes source that needs no fixing: imports in the order of ruff's isort rules at
these settings (``render/imports.py``), no unused import, ``__all__`` sorted as RUF022 wants,
and ``# isort: skip_file`` in the header block of the tool's files (a project's isort settings,
e.g. pubsub_runtime as first-party, must not fight over them). So the pass is one call:
``ruff format`` over one temporary folder holding the files. A test runs ``ruff check --fix``
with these settings on the golden output and fails if it would change anything.

Only a file that still has a line over ``LINE_LENGTH`` after formatting (a schema's long name
or text in one literal, which neither the renderer nor the formatter can split) costs a second
call: ``ruff check --add-noqa`` marks those lines ``# noqa: E501``, so the output stays
lint-clean. Most runs have none and skip it.

Every call runs with ``--isolated`` and the same settings (``SETTINGS``), so the output does
not depend on any ruff configuration of the project or the machine; that makes a file's
formatted source a function of its rendered source, which ``format_files`` looks up in a cache
before calling ruff.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from pubsub_gen.output import RenderedFile
from pubsub_gen.scratch import memory_folder

LINE_LENGTH = 100
TARGET = "py311"
# pubsub_runtime is a third-party dependency of the generated code; the generated package
# imports itself relatively. The isort setting is for the test that the output needs no fixing.
SETTINGS = (
    "--isolated",
    "--no-cache",
    "--quiet",
    f"--line-length={LINE_LENGTH}",
    f"--target-version={TARGET}",
    "--config=lint.isort.known-third-party=['pubsub_runtime', 'pydantic']",
)
FIXES = "--select=I,F401,RUF022"  # what the renderer's output must already satisfy
_FORMAT = ("format",)
_MARK_LONG_LINES = ("check", "--select=E501", "--add-noqa")


class FormatError(Exception):
    """ruff refused the generated code: a bug of the generator, never of the input."""


def format_tree(root: Path, threads: int | None = None) -> None:
    """Format every Python file under ``root`` and mark its unsplittable long lines; ruff
    uses ``threads`` threads (default: one per core)."""
    from ruff.__main__ import find_ruff_bin  # type: ignore[import-untyped]

    ruff = find_ruff_bin()
    env = None if threads is None else {**os.environ, "RAYON_NUM_THREADS": str(threads)}

    def call(arguments: tuple[str, ...], *paths: str) -> None:
        done = subprocess.run(
            [ruff, *arguments, *SETTINGS, *paths],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise FormatError(
                f"ruff {arguments[0]} failed on the generated code (a pubsub-gen bug):\n"
                f"{done.stdout}{done.stderr}"
            )

    call(_FORMAT, ".")
    long = sorted(
        str(path.relative_to(root)) for path in root.rglob("*.py") if _has_long_line(path)
    )
    if long:
        call(_MARK_LONG_LINES, *long)


def _has_long_line(path: Path) -> bool:
    """Whether E501 may flag a line of ``path`` (a quick filter: ruff decides). A character is
    at most two columns wide (a tab: at most ``LINE_LENGTH``); like E501, a line of one word
    (a deep sample's enum member) is left alone, and one the renderer marked already."""
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    if text.isascii() and "\t" not in text and max(map(len, lines)) <= LINE_LENGTH:
        return False  # the usual file, decided without a loop in Python
    for line in lines:
        if len(line.split()) < 2 or line.rstrip().endswith("# noqa: E501"):
            continue
        if len(line) > LINE_LENGTH or (not line.isascii() and 2 * len(line) > LINE_LENGTH):
            return True
        if "\t" in line:
            return True
    return False


def source_key(rendered: RenderedFile) -> str:
    """The cache key of a rendered file: its path and its content, not the other files."""
    h = hashlib.sha256(rendered.path.as_posix().encode("utf-8", "surrogatepass") + b"\0")
    h.update(rendered.content.encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def format_files(
    files: Sequence[RenderedFile],
    known: Mapping[str, str] | None = None,
    *,
    threads: int | None = None,
) -> tuple[list[str], dict[str, str]]:
    """The formatted content of each of ``files``, and the cache entries of all of them.

    ``known`` maps ``source_key`` of a rendered file to its formatted source (from earlier
    runs); only the other files go through ruff, in one temporary folder, with ``threads``
    threads (default: one per core).
    """
    known = known or {}
    keys = [source_key(rendered) for rendered in files]
    formatted = [known.get(key) for key in keys]
    todo = [files[index] for index, content in enumerate(formatted) if content is None]
    if todo:
        try:
            done = _format_in(memory_folder(), todo, threads)  # ruff runs faster there too
        except OSError:  # a full or odd memory file system: the usual temporary folder
            done = _format_in(None, todo, threads)
        remaining = iter(done)
        formatted = [next(remaining) if content is None else content for content in formatted]
    contents = [content or "" for content in formatted]
    return contents, dict(zip(keys, contents, strict=True))


def _format_in(
    folder: str | None, files: Sequence[RenderedFile], threads: int | None = None
) -> list[str]:
    with tempfile.TemporaryDirectory(prefix="pubsub-gen-", dir=folder) as temporary:
        root = Path(temporary)
        for rendered in files:
            target = root / rendered.path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(rendered.content, encoding="utf-8", newline="\n")
        format_tree(root, threads)
        return [(root / f.path).read_text(encoding="utf-8") for f in files]
