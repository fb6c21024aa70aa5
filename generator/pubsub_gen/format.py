"""Step 4: format every rendered file of a run, in one pass, with ruff at pinned settings.

The pass, over one temporary folder holding the files:
1. ``ruff check --fix``: import sorting, unused imports, sorted ``__all__``;
2. ``ruff format``;
3. only for files that still have a line over ``LINE_LENGTH`` (a schema's long name or text in
   one literal, which the formatter cannot split): ``ruff check --add-noqa`` marks those lines
   ``# noqa: E501``, so the output stays lint-clean. Most runs have none and skip the call.
Then every tool-owned Python file gets ``# isort: skip_file`` below its header: its imports are
sorted by these pinned settings, which a project's isort configuration (e.g. pubsub_runtime as
first-party) must not fight over. ruff cannot fix and format, or fix and mark, in one call.

Every call runs with ``--isolated`` and the same settings (``_SETTINGS``), so the output does
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

LINE_LENGTH = 100
TARGET = "py311"
# pubsub_runtime is a third-party dependency of the generated code; the generated package
# imports itself relatively.
_SETTINGS = (
    "--isolated",
    "--no-cache",
    "--quiet",
    f"--line-length={LINE_LENGTH}",
    f"--target-version={TARGET}",
    "--config=lint.isort.known-third-party=['pubsub_runtime', 'pydantic']",
)
_FIX = ("check", "--fix", "--select=I,F401,RUF022")
_FORMAT = ("format",)
_MARK_LONG_LINES = ("check", "--select=E501", "--add-noqa")
SKIP_ISORT = "# isort: skip_file\n"


class FormatError(Exception):
    """ruff refused the generated code: a bug of the generator, never of the input."""


def format_tree(root: Path) -> None:
    """Fix imports, format and mark unsplittable long lines of every Python file under ``root``."""
    from ruff.__main__ import find_ruff_bin  # type: ignore[import-untyped]

    ruff = find_ruff_bin()

    def call(arguments: tuple[str, ...], *paths: str) -> None:
        done = subprocess.run(
            [ruff, *arguments, *_SETTINGS, *paths],
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise FormatError(
                f"ruff {arguments[0]} failed on the generated code (a pubsub-gen bug):\n"
                f"{done.stdout}{done.stderr}"
            )

    call(_FIX, ".")
    call(_FORMAT, ".")
    long = sorted(
        str(path.relative_to(root)) for path in root.rglob("*.py") if _has_long_line(path)
    )
    if long:
        call(_MARK_LONG_LINES, *long)


def _has_long_line(path: Path) -> bool:
    """Whether E501 may flag a line of ``path`` (a quick filter: ruff decides). A character is
    at most two columns wide (a tab: at most ``LINE_LENGTH``)."""
    with path.open(encoding="utf-8") as stream:
        for line in stream:
            length = len(line.rstrip("\n"))
            if length > LINE_LENGTH or (not line.isascii() and 2 * length > LINE_LENGTH):
                return True
            if "\t" in line:
                return True
    return False


def source_key(rendered: RenderedFile) -> str:
    """The cache key of a rendered file: ruff's fixes depend on its path (``__init__.py``, the
    package it sits in) and its content, not on the other files; the marker on its owner."""
    h = hashlib.sha256(rendered.path.as_posix().encode("utf-8", "surrogatepass") + b"\0")
    h.update(b"tool\0" if rendered.owned_by_tool else b"user\0")
    h.update(rendered.content.encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def format_files(
    files: Sequence[RenderedFile], known: Mapping[str, str] | None = None
) -> tuple[list[str], dict[str, str]]:
    """The formatted content of each of ``files``, and the cache entries of all of them.

    ``known`` maps ``source_key`` of a rendered file to its formatted source (from earlier
    runs); only the other files go through ruff, in one temporary folder.
    """
    known = known or {}
    keys = [source_key(rendered) for rendered in files]
    formatted = [known.get(key) for key in keys]
    todo = [files[index] for index, content in enumerate(formatted) if content is None]
    if todo:
        try:
            done = _format_in(_memory_folder(), todo)
        except OSError:  # a full or odd memory file system: the usual temporary folder
            done = _format_in(None, todo)
        remaining = iter(done)
        formatted = [next(remaining) if content is None else content for content in formatted]
    contents = [content or "" for content in formatted]
    return contents, dict(zip(keys, contents, strict=True))


def _memory_folder() -> str | None:
    """/dev/shm when the system has it and TMPDIR does not choose another place.

    Deleting the files ruff rewrote costs about 0.4 ms each on a disk file system with online
    discard (0.25 s for a 600-file package); in memory it costs nothing, and ruff runs faster.
    """
    if "TMPDIR" in os.environ or not os.path.isdir("/dev/shm"):
        return None
    return "/dev/shm" if os.access("/dev/shm", os.W_OK | os.X_OK) else None


def _format_in(folder: str | None, files: Sequence[RenderedFile]) -> list[str]:
    with tempfile.TemporaryDirectory(prefix="pubsub-gen-", dir=folder) as temporary:
        root = Path(temporary)
        for rendered in files:
            target = root / rendered.path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(rendered.content, encoding="utf-8", newline="\n")
        format_tree(root)
        return [_mark((root / f.path).read_text(encoding="utf-8"), f) for f in files]


def _mark(content: str, rendered: RenderedFile) -> str:
    """The tool's Python files opt out of the project's import sorting; the user's do not."""
    if rendered.path.suffix != ".py" or not rendered.owned_by_tool:
        return content
    first, _, rest = content.partition("\n")
    return f"{first}\n{SKIP_ISORT}{rest}"
