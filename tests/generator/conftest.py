"""Generator tests run in a folder of their own: a run without a pyproject.toml writes its
revision lock file (``pubsub-gen.lock``) into the current folder, never the repository's.
Package-scoped, so that module-scoped fixtures that generate run there too."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True, scope="package")
def _own_working_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    before = os.getcwd()
    os.chdir(tmp_path_factory.mktemp("cwd"))
    try:
        yield
    finally:
        os.chdir(before)


@pytest.fixture(autouse=True)
def _fresh_working_folder(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each test starts without a lock file: what it records is its own."""
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))
