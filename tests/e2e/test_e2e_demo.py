"""`make demo` (``python -m examples.demo``): the generated service publishes, handles, reports."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pubsub_runtime.testing import Emulator

ROOT = Path(__file__).resolve().parents[2]


def run_demo(**environment: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PUBSUB_EMULATOR_HOST"}
    return subprocess.run(
        [sys.executable, "-m", "examples.demo"],
        cwd=ROOT,
        env={**env, **environment},
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


@pytest.mark.emulator
def test_the_demo_runs_the_service_and_every_handler_sees_its_message(
    pubsub_emulator: Emulator,  # only for its skip (or CI failure) when there is no emulator
) -> None:
    done = run_demo()
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-3000:]
    out = done.stdout
    lines = out.splitlines()
    subscriptions = [
        "example-events.customer_registered",
        "example-events.order_placed",
        "example-events.priority_changed",
        "example-events.shipment_dispatched",
        "shipment-updated-tracking",
        "shipment-updated-billing",
    ]
    for subscription in subscriptions:
        handled = f"| alias={subscription} message_id="
        assert any(" received " in line and handled in line for line in lines), subscription
    assert "6 of 6 subscriptions handled their message." in out
    assert '"status": "ok"' in out and '"check": "alive"' in out
    assert "service exited with code 0" in out and out.rstrip().endswith("Demo passed.")


def test_the_demo_says_how_to_install_a_missing_emulator(tmp_path: Path) -> None:
    done = run_demo(PUBSUB_EMULATOR_BIN=str(tmp_path / "no-such-emulator"))
    assert done.returncode == 1
    assert "The Pub/Sub emulator is not installed" in done.stderr
    assert "gcloud components install pubsub-emulator" in done.stderr
