"""Fixtures of the template tests: the template as a git repository, and new services."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from template_support import VARIANTS, Variant, copy_service, make_template_repo


@pytest.fixture(scope="session")
def template_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The template's current files, committed and tagged v0.1.0 (tests must not change it)."""
    return make_template_repo(tmp_path_factory.mktemp("template") / "repo")


@pytest.fixture(scope="session")
def services(
    template_repo: Path, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[Variant], Path]:
    """A new service per variant, copied once per session (tests only read it)."""
    made: dict[str, Path] = {}

    def service(variant: Variant) -> Path:
        if variant.id not in made:
            parent = tmp_path_factory.mktemp(f"service-{variant.id}")
            made[variant.id] = copy_service(template_repo, parent / variant.folder, variant.answers)
        return made[variant.id]

    return service


@pytest.fixture(params=VARIANTS, ids=[v.id for v in VARIANTS])
def variant(request: pytest.FixtureRequest) -> Variant:
    chosen: Variant = request.param
    return chosen
