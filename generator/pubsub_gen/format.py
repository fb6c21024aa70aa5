"""Step 4: format the rendered tree with ruff: one ``check --fix`` and one ``format`` call.

Both run with ``--isolated`` and pinned settings, so the output does not depend on any ruff
configuration of the project or the machine.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from ruff.__main__ import find_ruff_bin  # type: ignore[import-untyped]

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


class FormatError(Exception):
    """ruff refused the generated code: a bug of the generator, never of the input."""


def format_tree(root: Path) -> None:
    """Fix imports and format every Python file under ``root`` in place."""
    ruff = find_ruff_bin()
    for arguments in (_CHECK, _FORMAT):
        done = subprocess.run(
            [ruff, *arguments, "."], cwd=root, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise FormatError(
                f"ruff {arguments[0]} failed on the generated code (a pubsub-gen bug):\n"
                f"{done.stdout}{done.stderr}"
            )
