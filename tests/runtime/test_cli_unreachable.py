"""A service started where Pub/Sub cannot be reached fails fast, with one line that says why.

The service is the golden record's app, served by the CLI exactly as its README says; no
emulator runs (the emulator address points at a closed port) and no credentials are found.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pubsub_runtime import FastPubSub, Message, PubSubBroker, PubSubUnreachable

REPO = Path(__file__).resolve().parents[2]
APP = ["example_events.app:app", "--app-dir", str(REPO / "generated_example")]


def closed_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def serve(environment: dict[str, str]) -> tuple[subprocess.CompletedProcess[str], float]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PUBSUB_", "GOOGLE_"))}
    began = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "pubsub_runtime", "run", *APP, "--port", str(closed_port())],
        env={**base, **environment},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return done, time.monotonic() - began


def the_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if "PubSubUnreachable" in line]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr and "RetryError" not in stderr, stderr
    return lines[0]


def test_no_emulator_at_the_address_fails_within_about_ten_seconds_in_one_line() -> None:
    host = f"127.0.0.1:{closed_port()}"
    done, elapsed = serve({"PUBSUB_EMULATOR_HOST": host})

    assert done.returncode == 3, done.stderr
    assert elapsed < 25, f"took {elapsed:.1f} s"  # the 10 s connect timeout plus start-up
    line = the_line(done.stderr)
    assert (
        f"no connection to Pub/Sub within 10 s (endpoint {host} from PUBSUB_EMULATOR_HOST)" in line
    )
    assert "PUBSUB_EMULATOR_HOST=host:port" in line
    assert "GOOGLE_APPLICATION_CREDENTIALS" in line
    assert len(done.stderr.splitlines()) <= 6, done.stderr


def test_no_credentials_fails_at_once_in_one_line(tmp_path: Path) -> None:
    done, _ = serve(
        {
            "GOOGLE_APPLICATION_CREDENTIALS": str(tmp_path / "missing-key.json"),
            "HOME": str(tmp_path),
        }
    )

    assert done.returncode == 3, done.stderr
    line = the_line(done.stderr)
    assert "no Google Cloud credentials found (endpoint pubsub.googleapis.com)" in line
    assert "PUBSUB_EMULATOR_HOST=host:port" in line


async def test_ready_stays_503_while_pubsub_is_unreachable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", f"127.0.0.1:{closed_port()}")
    broker = PubSubBroker(project_id="unreachable", connect_timeout=1.0)

    @broker.subscriber("orders", topic_name="orders", subscription_name="unreachable.orders")
    async def handle(message: Message) -> None:
        raise AssertionError("no message can arrive")

    app = FastPubSub(broker)
    starting = asyncio.create_task(app.router.lifespan_context(app).__aenter__())
    await asyncio.sleep(0.3)
    assert not starting.done()
    assert app.health("ready").status == "unavailable"

    with pytest.raises(PubSubUnreachable) as raised:
        await starting
    assert raised.value.endpoint.startswith("127.0.0.1:")
    assert app.health("ready").status == "unavailable"
    assert not broker.started
