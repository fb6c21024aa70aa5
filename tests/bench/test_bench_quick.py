"""Smoke test of the benchmarks: ``python -m bench all --quick`` must deliver every message.

The quick mode checks correctness only (every path received or published exactly the payloads
sent, decoded equal to them); its timings are not asserted: timing goals belong to the full run.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _bench(*args: str, timeout: float = 280) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bench", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.mark.emulator
def test_quick_mode_runs_every_comparison_correctly(pubsub_emulator, tmp_path):
    results = tmp_path / "results.json"
    plot = tmp_path / "plot.png"
    done = _bench(
        "all",
        "--quick",
        "--emulator-host",
        pubsub_emulator.host,
        "--json",
        str(results),
        "--plot",
        str(plot),
    )
    assert done.returncode == 0, f"{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    assert "every path delivered every message correctly" in done.stdout
    data = json.loads(results.read_text())
    assert data["quick"] is True
    comparisons = " ".join(row["comparison"] for row in data["rows"])
    for expected in ("Receive CPU", "Throughput", "Latency p50", "Latency p99", "--workers 2"):
        assert expected in comparisons
    for expected in ("Publish CPU", "Generator"):
        assert expected in comparisons
    # every receiving side, every stream count and both publishing sides produced a figure
    samples = data["samples"]
    for payload in ("payment", "order"):
        for side in ("typed", "untyped", "handwritten", "floor", "floor-decode", "floor-gapic"):
            if side in ("untyped", "floor-decode") and payload == "order":
                continue
            assert samples[f"receive.{payload}.{side}.cpu"][0] > 0
        for side in ("typed", "client"):
            assert samples[f"publish.{payload}.{side}.cpu"][0] > 0
    for streams in (1, 2, 4, 8):
        assert samples[f"streams.{streams}.rate"][0] > 0
    # both latency sides handled every published payload (the run fails otherwise)
    for side in ("typed", "handwritten"):
        assert 0 < samples[f"latency.{side}.p50"][0] <= samples[f"latency.{side}.p99"][0]
    for workers in (1, 2):
        assert samples[f"workers.{workers}.rate"][0] > 0
        # the CPU of the window is split between the workers and the emulator's JVM
        assert samples[f"workers.{workers}.cpu_us"][0] > 0
        assert samples[f"workers.{workers}.emulator_us"][0] > 0
        assert samples[f"workers.{workers}.ceiling"][0] > 0
    # with two workers, each handled a share of the window's messages
    assert 0 < samples["workers.2.min_share"][0] <= 0.5
    assert "Ceiling of that ratio" in comparisons
    # goals are judged with a margin, and never in quick mode
    assert all(row["met"] is None for row in data["rows"])
    assert any(row["margin"] is not None for row in data["rows"])
    assert "FastPubSub comparison skipped" in done.stdout  # never in quick mode
    assert plot.read_bytes().startswith(b"\x89PNG")
    # the plot of the receive ratios across runs (here: the one run) against their goals
    history = tmp_path / "history.png"
    done = subprocess.run(
        [sys.executable, "-m", "bench.history", str(history), str(results), str(results)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert history.read_bytes().startswith(b"\x89PNG")


def test_unknown_comparison_is_a_usage_error():
    done = _bench("no-such-comparison", timeout=60)
    assert done.returncode == 2
    assert "unknown comparison" in done.stderr
