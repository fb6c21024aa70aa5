"""The result table (terminal and markdown), the raw figures as JSON, and the plot."""

from __future__ import annotations

import json
from pathlib import Path

from bench._harness import MARGIN, Row, Run

HEADERS = ("comparison", "ours", "baseline", "ratio", "goal", "margin", "met?")


def _cells(row: Row, quick: bool) -> tuple[str, ...]:
    """``margin``: how far inside the goal (+) or outside it (-), relative to the goal."""
    ratio = "" if row.ratio is None else f"{row.ratio:.2f}x"
    margin = "" if row.margin is None else f"{row.margin:+.0%}"
    if row.met is None:
        met = "-" if not row.goal or not quick else "(quick)"
    elif row.met:
        met = "yes"
    else:
        met = "NO" if row.margin is None or row.margin < 0 else f"NO (< {MARGIN:.0%} room)"
    return (row.comparison, row.ours, row.baseline, ratio, row.goal, margin, met)


def table(run: Run) -> str:
    """A plain-text table of every row."""
    lines = [_cells(row, run.quick) for row in run.rows]
    widths = [max(len(h), *(len(cells[i]) for cells in lines)) for i, h in enumerate(HEADERS)]

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(HEADERS), rule, *(line(cells) for cells in lines)])


def markdown(run: Run) -> str:
    """The same table in markdown."""
    rows = ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    for row in run.rows:
        rows.append("| " + " | ".join(c.replace("|", "\\|") for c in _cells(row, run.quick)) + " |")
    return "\n".join(rows)


def write_json(run: Run, path: Path) -> None:
    data = {
        "quick": run.quick,
        "reps": run.reps,
        "rows": [row.__dict__ for row in run.rows],
        "samples": run.samples,
        "notes": run.notes,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


_CPU_BARS = (
    # (label, sample key): left out when the comparison did not run
    ("receive\nlean raw\npull floor", "receive.payment.floor.cpu"),
    ("receive\nlean floor\n+ decode", "receive.payment.floor-decode.cpu"),
    ("receive\nGAPIC pull\nloop floor", "receive.payment.floor-gapic.cpu"),
    ("receive\nruntime, no\ncodec (ours)", "receive.payment.untyped.cpu"),
    ("receive\ntyped (ours)", "receive.payment.typed.cpu"),
    ("receive\nhand-written\nsubscribe()", "receive.payment.handwritten.cpu"),
    ("receive\nFastPubSub\n0.9.8", "receive.payment.fastpubsub.cpu"),
    ("publish\ntyped (ours)", "publish.payment.typed.cpu"),
    ("publish\nPublisherClient", "publish.payment.client.cpu"),
)


def plot(run: Run, path: Path) -> bool:
    """Throughput against streams, and CPU per message of each path; False when no data."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    counts = [c for c in (1, 2, 4, 8) if f"streams.{c}.rate" in run.samples]
    bars = [(label, key) for label, key in _CPU_BARS if key in run.samples]
    if not counts and not bars:
        return False
    figure, (left, right) = plt.subplots(1, 2, figsize=(15, 5.5))
    if counts:
        rates = [run.median(f"streams.{c}.rate") for c in counts]
        left.plot(counts, rates, "o-", label="typed subscriber (median)")
        left.plot(
            counts, [rates[0] * c for c in counts], "--", color="grey", label="linear from 1 stream"
        )
        for count, rate in zip(counts, rates, strict=True):
            left.annotate(
                f"{rate:,.0f}",
                (count, rate),
                textcoords="offset points",
                xytext=(0, 8),
                ha="center",
            )
        left.set_xticks(counts)
        left.set_xlabel("StreamingPull streams on one subscription")
        left.set_ylabel("messages per second")
        left.set_title("Throughput against streams (emulator, 10-field record)")
        left.legend()
        left.grid(alpha=0.3)
    if bars:
        values = [run.median(key) for _, key in bars]
        colours = [
            "#4c72b0" if "ours" in label else "#8c8c8c" if "floor" in label else "#dd8452"
            for label, _ in bars
        ]
        right.bar([label for label, _ in bars], values, color=colours)
        for index, value in enumerate(values):
            right.annotate(
                f"{value:.0f}",
                (index, value),
                textcoords="offset points",
                xytext=(0, 4),
                ha="center",
            )
        right.set_ylabel("client CPU µs per message (median)")
        right.set_title("CPU per message, 10-field Avro record")
        right.tick_params(axis="x", labelsize=8)
        right.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return True
