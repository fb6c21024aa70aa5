"""``python -m bench.history PNG RUN.json [RUN.json ...]``: the receive ratios across runs.

Reads the ``--json`` files of several ``python -m bench`` runs and plots, for each repetition
of each run, the ratio of the receive goals (ours / baseline of that repetition) beside its
goal line and the line a goal must be under to count as met (5% inside it). A label per run
comes from its file name (e.g. ``3.12-run2.json`` -> ``3.12-run2``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from bench._harness import MARGIN

# (label, ours, baseline, goal): the per-repetition figures of the receive goals.
SERIES = (
    (
        "typed subscriber / lean floor with the hand-written decode",
        "receive.payment.typed.cpu",
        "receive.payment.floor-decode.cpu",
        1.15,
    ),
    (
        "runtime without codec / lean floor",
        "receive.payment.untyped.cpu",
        "receive.payment.floor.cpu",
        1.10,
    ),
    (
        "Avro binary decode / fastavro + model_validate",
        "decode.payment.ours",
        "decode.payment.hand",
        0.85,
    ),
)


def ratios(samples: dict[str, list[float]], ours: str, baseline: str) -> list[float]:
    if ours not in samples or baseline not in samples:
        return []
    return [a / b for a, b in zip(samples[ours], samples[baseline], strict=False) if b > 0]


def plot(png: Path, runs: list[Path]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    loaded: list[tuple[str, dict[str, Any]]] = [
        (path.stem, json.loads(path.read_text())["samples"]) for path in runs
    ]
    figure, axes = plt.subplots(1, len(SERIES), figsize=(6 * len(SERIES), 4.8))
    for axis, (title, ours, baseline, goal) in zip(axes, SERIES, strict=True):
        x = 0
        ticks, labels = [], []
        for name, samples in loaded:
            values = ratios(samples, ours, baseline)
            if not values:
                continue
            xs = list(range(x, x + len(values)))
            axis.plot(xs, values, "o", color="#4c72b0")
            ticks.append(x + (len(values) - 1) / 2)
            labels.append(name)
            x += len(values) + 1
        axis.axhline(goal, color="#c44e52", linestyle="--", label=f"goal {goal:.2f}x")
        axis.axhline(
            goal * (1 - MARGIN),
            color="#c44e52",
            linestyle=":",
            label=f"met with {MARGIN:.0%} room: {goal * (1 - MARGIN):.3f}x",
        )
        axis.set_xticks(ticks, labels, rotation=30, ha="right", fontsize=8)
        axis.set_ylabel("ratio per repetition (ours / baseline)")
        axis.set_title(title, fontsize=9)
        axis.legend(fontsize=8)
        axis.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    png.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(png, dpi=110)
    plt.close(figure)


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__.split("\n")[0], file=sys.stderr)
        return 2
    plot(Path(argv[0]), [Path(p) for p in argv[1:]])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
