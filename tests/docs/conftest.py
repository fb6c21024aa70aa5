"""The docs examples import ``docs_src`` (repository root) and ``example_events`` (the golden
record in generated_example/), so both go on ``sys.path`` for the docs tests."""

from __future__ import annotations

import sys

import pytest
from docs_support import REPO

# Plain asserts in the example test files re-exported by tests here get pytest's messages.
pytest.register_assert_rewrite("docs_src")

for folder in (REPO, REPO / "generated_example"):
    if str(folder) not in sys.path:
        sys.path.append(str(folder))


@pytest.fixture(autouse=True)
def _own_working_folder(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Examples that generate without a pyproject.toml write their revision lock file
    (pubsub-gen.lock) into the current folder: a folder of the test's own, never the repo."""
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))
