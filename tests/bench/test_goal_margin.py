"""A benchmark goal counts as met only with room: at least 5% inside it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository's bench package

from bench._harness import MARGIN, Run, goal_margin


@pytest.mark.parametrize(
    ("goal", "ratio", "margin"),
    [
        ("<= 1.00x", 0.90, 0.10),
        ("<= 0.50x", 0.49, 0.02),
        ("<= 0.85x", 0.90, -0.0588),
        (">= 1.80x", 1.98, 0.10),
        (">= 1.80x", 1.85, 0.0278),
        ("", 1.0, None),
    ],
)
def test_margin_is_relative_to_the_goal(goal: str, ratio: float, margin: float | None) -> None:
    found = goal_margin(goal, ratio)
    if margin is None:
        assert found is None
    else:
        assert found == pytest.approx(margin, abs=1e-3)


def test_a_goal_met_by_less_than_the_margin_is_not_met(tmp_path: Path) -> None:
    run = Run(quick=False, reps=1, workdir=tmp_path, generated=tmp_path, emulator_host="")
    run.row("roomy", "1", "2", 0.50, "<= 0.60x")
    run.row("by a hair", "1", "2", 0.59, "<= 0.60x")
    run.row("missed", "1", "2", 0.61, "<= 0.60x")
    run.row("informs", "1", "2", 0.61)
    assert MARGIN == 0.05
    assert [row.met for row in run.rows] == [True, False, False, None]
