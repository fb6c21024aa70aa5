"""Test harness of the reliability tests: runs ``python -m pubsub_runtime run`` on an app.

Not an app itself: it starts the service in a subprocess against the emulator, waits for
``/consumers/ready``, reads the ids the app records, and stops it with SIGTERM.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[3]
PATIENCE = 120.0  # seconds before a wait gives up and fails with the service log; not a goal


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _die_with_parent() -> None:
    # If the test run is killed, the service gets SIGTERM instead of running on.
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class Service:
    process: subprocess.Popen[bytes]
    url: str
    record: Path
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def ids(self, event: str = "done") -> list[str]:
        """Message ids of the ``event`` lines the app recorded so far (repeats included)."""
        if not self.record.exists():
            return []
        lines = (line.split() for line in self.record.read_text().splitlines())
        return [parts[1] for parts in lines if len(parts) == 2 and parts[0] == event]

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait(self, condition: Callable[[], bool], what: str, patience: float = PATIENCE) -> None:
        deadline = time.monotonic() + patience
        while not condition():
            if self.process.poll() is not None:
                pytest.fail(
                    f"service exited ({self.process.returncode}) before {what}:\n{self.log_text()}"
                )
            if time.monotonic() > deadline:
                pytest.fail(f"gave up waiting for {what}; service log:\n{self.log_text()}")
            time.sleep(0.1)

    def get(self, path: str) -> httpx.Response:
        return httpx.get(f"{self.url}{path}", timeout=10)

    def stop(self) -> int:
        """SIGTERM, then the exit code (the test fails if the service ignores it)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(PATIENCE)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            pytest.fail(f"service ignored SIGTERM; log:\n{self.log_text()}")

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def start_service(app: str, directory: Path, env: Mapping[str, str], name: str) -> Service:
    """Run ``python -m pubsub_runtime run APP`` (one worker) and wait until it is ready."""
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    record = directory / "record.txt"
    log = directory / f"{name}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "pubsub_runtime", "run", app, "--port", str(port)],
            cwd=REPO,
            env={**os.environ, **env, "APP_RECORD": str(record)},
            stdout=output,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )
    service = Service(process, f"http://127.0.0.1:{port}", record, log)

    def ready() -> bool:
        try:
            return service.get("/consumers/ready").status_code == 200
        except httpx.TransportError:
            return False

    service.wait(ready, "/consumers/ready answered 200")
    return service
