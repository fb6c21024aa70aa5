"""Find, start and stop the real Pub/Sub emulator (the Java one of the Google Cloud SDK).

The emulator is started directly (not through ``gcloud beta emulators``, which orphans the JVM on
SIGTERM), in its own session, with a parent-death signal so that a killed test run leaves no JVM
behind. Its output goes to a log file: every cancelled StreamingPull logs a long stack trace, and
an unread pipe would fill up and hang it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

__all__ = ["DEFAULT_PROJECT_ID", "Emulator", "EmulatorError", "find_emulator", "start_emulator"]

DEFAULT_PROJECT_ID = "test-project"
_SCRIPT = Path("platform", "pubsub-emulator", "bin", "cloud-pubsub-emulator")
_KNOWN_SDK_ROOTS = (Path("/usr/lib/google-cloud-sdk"), Path("/usr/share/google-cloud-sdk"))
_PR_SET_PDEATHSIG = 1


class EmulatorError(RuntimeError):
    """The emulator could not be found or did not start."""


def find_emulator() -> Path | None:
    """Return the emulator's launch script, or None when it is not installed.

    ``PUBSUB_EMULATOR_BIN`` overrides the search; otherwise the SDK root is the parent of the
    ``bin/`` folder holding the real path of ``gcloud`` (symlinks resolved), then known roots.
    """
    override = os.environ.get("PUBSUB_EMULATOR_BIN")
    if override:
        path = Path(override)
        return path if path.is_file() else None
    candidates: list[Path] = []
    gcloud = shutil.which("gcloud")
    if gcloud:
        candidates.append(Path(gcloud).resolve().parent.parent / _SCRIPT)
    candidates.extend(root / _SCRIPT for root in _KNOWN_SDK_ROOTS)
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    return None


def free_port() -> int:
    """A TCP port that was free a moment ago on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _die_with_parent() -> None:
    # Runs in the child before exec: ask Linux to SIGTERM it when the parent dies.
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


class Emulator:
    """A running emulator process; ``stop()`` (or leaving the ``with`` block) ends it."""

    def __init__(
        self,
        process: subprocess.Popen[bytes],
        port: int,
        project_id: str,
        log_path: Path,
    ) -> None:
        self._process = process
        self.port = port
        self.project_id = project_id
        self.log_path = log_path

    @property
    def host(self) -> str:
        """``127.0.0.1:PORT``, the value for ``PUBSUB_EMULATOR_HOST``."""
        return f"127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self._process.pid

    @property
    def running(self) -> bool:
        return self._process.poll() is None

    def log_tail(self, max_chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-max_chars:]
        except OSError:
            return ""

    def stop(self, timeout: float = 10.0) -> None:
        """Terminate the emulator by its PID, kill it when it does not exit within ``timeout``."""
        if self._process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            self._process.terminate()
        try:
            self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                self._process.kill()
            self._process.wait(timeout)

    def __enter__(self) -> Emulator:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"Emulator(host={self.host!r}, project_id={self.project_id!r}, pid={self.pid})"


def _wait_until_listening(emulator: Emulator, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not emulator.running:
            raise EmulatorError(
                f"the Pub/Sub emulator exited with code {emulator._process.returncode} before "
                f"listening on {emulator.host}; log {emulator.log_path}:\n{emulator.log_tail()}"
            )
        try:
            with socket.create_connection(("127.0.0.1", emulator.port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    emulator.stop()
    raise EmulatorError(
        f"the Pub/Sub emulator did not listen on {emulator.host} within {timeout:.0f} s; "
        f"log {emulator.log_path}:\n{emulator.log_tail()}"
    )


def start_emulator(
    port: int | None = None,
    project_id: str = DEFAULT_PROJECT_ID,
    *,
    script: Path | str | None = None,
    log_path: Path | str | None = None,
    startup_timeout: float = 60.0,
) -> Emulator:
    """Start the emulator on ``127.0.0.1:port`` (a free port by default) and wait until it listens.

    Raises ``EmulatorError`` when it is not installed or does not start (with its log's tail).
    """
    found = Path(script) if script is not None else find_emulator()
    if found is None:
        raise EmulatorError(
            "the Pub/Sub emulator is not installed: install the Google Cloud SDK component "
            "'pubsub-emulator' (Debian: google-cloud-cli-pubsub-emulator) or set "
            "PUBSUB_EMULATOR_BIN to its cloud-pubsub-emulator script"
        )
    port = port or free_port()
    if log_path is None:
        fd, name = tempfile.mkstemp(prefix=f"pubsub-emulator-{port}-", suffix=".log")
        os.close(fd)
        log_path = name
    log = Path(log_path)
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(found), "--host=127.0.0.1", f"--port={port}"],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
    emulator = Emulator(process, port, project_id, log)
    _wait_until_listening(emulator, startup_timeout)
    return emulator
