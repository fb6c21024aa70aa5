"""Step 4: format the rendered tree with ruff: ``check --fix``, ``format``, then ``--add-noqa``.

The last call marks the lines the formatter cannot bring under the line length (a schema's
long name or text in one string literal) with ``# noqa: E501``, so the output stays lint-clean.

Both run with ``--isolated`` and pinned settings, so the output does not depend on any ruff
configuration of the project or the machine; that makes a file's formatted source a function
of its rendered source, which ``format_files`` looks up in a cache before calling ruff.
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
# Import sorting, unused imports, sorted __all__. pubsub_runtime is a third-party dependency of
# the generated code; the generated package imports itself relatively.
_CHECK = (
    "check",
    "--fix",
    "--isolated",
    "--no-cache",
    "--quiet",
    "--select=I,F401,RUF022",
    f"--line-length={LINE_LENGTH}",
    f"--target-version={TARGET}",
    "--config=lint.isort.known-third-party=['pubsub_runtime', 'pydantic']",
)
_FORMAT = (
    "format",
    "--isolated",
    "--no-cache",
    "--quiet",
    f"--line-length={LINE_LENGTH}",
    f"--target-version={TARGET}",
)


# After formatting: the lines still too long hold one literal that cannot be split.
_MARK_LONG_LINES = (
    "check",
    "--isolated",
    "--no-cache",
    "--quiet",
    "--select=E501",
    "--add-noqa",
    f"--line-length={LINE_LENGTH}",
    f"--target-version={TARGET}",
)


class FormatError(Exception):
    """ruff refused the generated code: a bug of the generator, never of the input."""


def format_tree(root: Path) -> None:
    """Fix imports, format and mark unsplittable long lines of every Python file under ``root``."""
    from ruff.__main__ import find_ruff_bin  # type: ignore[import-untyped]

    ruff = find_ruff_bin()
    for arguments in (_CHECK, _FORMAT, _MARK_LONG_LINES):
        done = subprocess.run(
            [ruff, *arguments, "."], cwd=root, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise FormatError(
                f"ruff {arguments[0]} failed on the generated code (a pubsub-gen bug):\n"
                f"{done.stdout}{done.stderr}"
            )


def source_key(rendered: RenderedFile) -> str:
    """The cache key of a rendered file: ruff's fixes depend on its path (``__init__.py``, the
    package it sits in) and its content, not on the other files."""
    h = hashlib.sha256(rendered.path.as_posix().encode("utf-8", "surrogatepass") + b"\0")
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
        return [(root / rendered.path).read_text(encoding="utf-8") for rendered in files]
