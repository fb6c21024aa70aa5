"""The receive comparison measures the two sides of each goal row at the same time."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository's bench package

from bench.receive import side_groups

FULL = ["typed", "untyped", "handwritten", "floor", "floor-decode", "floor-gapic"]


@pytest.mark.parametrize(
    ("sides", "groups"),
    [
        (
            [*FULL, "fastpubsub", "fastpubsub-info"],
            [
                ("typed", "floor-decode"),
                ("untyped", "floor"),
                ("handwritten", "floor-gapic"),
                ("fastpubsub",),
                ("fastpubsub-info",),
            ],
        ),
        (
            ["typed", "fastpubsub", "fastpubsub-info"],
            [("typed", "fastpubsub"), ("fastpubsub-info",)],
        ),
        (
            ["typed", "handwritten", "floor", "floor-gapic"],
            [("typed", "floor"), ("handwritten", "floor-gapic")],
        ),
        (["typed", "handwritten"], [("typed", "handwritten")]),
    ],
)
def test_goal_sides_run_together(sides: list[str], groups: list[tuple[str, ...]]) -> None:
    found = side_groups(sides)
    assert found == groups
    assert sorted(side for group in found for side in group) == sorted(sides)  # each once
