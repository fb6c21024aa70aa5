"""The public corpora beside the repository (`../shared/`), read in place and never copied.

A contributor's fresh clone has no `../shared/`: tests that need it skip with the reason.
Under `CI=true` the folder is always present, so its absence fails the test instead.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


def on_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def shared_path(*parts: str) -> Path:
    """`../shared/<parts>`, or skip (fail under CI=true) when it is not there."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        reason = f"{path} is absent (public corpora live beside the repository in ../shared/)"
        if on_ci():
            pytest.fail(f"{reason}; CI is set, so this is a failure, not a skip", pytrace=False)
        pytest.skip(reason)
    return path


def shared_path_or_none(*parts: str) -> Path | None:
    """The path when present; None otherwise (for parametrisation at collection time)."""
    path = SHARED.joinpath(*parts)
    return path if path.exists() else None
