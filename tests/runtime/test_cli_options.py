"""The CLI's arguments, start-up failures and stop signals (no emulator needed)."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from pubsub_runtime.cli import main

REPO = Path(__file__).resolve().parents[2]
PATIENCE = 60.0  # seconds before a wait gives up; not a goal
RUN = [sys.executable, "-m", "pubsub_runtime", "run"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pubsub_runtime", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=PATIENCE,
    )


@pytest.fixture(autouse=True)
def restore_sys_path(monkeypatch: pytest.MonkeyPatch) -> None:
    # In-process runs put --app-dir first on sys.path; keep that out of other tests.
    monkeypatch.setattr(sys, "path", list(sys.path))


def test_help_lists_the_run_command_and_its_options() -> None:
    top = cli("--help")
    run = cli("run", "--help")
    assert top.returncode == 0 and "run" in top.stdout
    assert run.returncode == 0
    for option in ("--workers", "--host", "--port", "--reload", "--log-level"):
        assert option in run.stdout


@pytest.mark.parametrize("target", ["service", "service:", ":app"])
def test_an_app_not_written_module_colon_attribute_is_refused(target: str) -> None:
    result = CliRunner().invoke(main, ["run", target])
    assert result.exit_code == 2
    assert "expected MODULE:APP" in result.output


def test_reload_and_several_workers_are_refused_together() -> None:
    result = CliRunner().invoke(main, ["run", "a:app", "--reload", "--workers", "2"])
    assert result.exit_code == 2
    assert "--reload runs a single process" in result.output


def test_with_workers_an_unimportable_module_is_reported_before_starting_them() -> None:
    result = CliRunner().invoke(main, ["run", "no_such_module_here:app", "--workers", "2"])
    assert result.exit_code == 2
    assert "cannot import module 'no_such_module_here'" in result.output


def test_with_workers_a_missing_attribute_is_reported_before_starting_them() -> None:
    arguments = ["run", "tests.runtime.apps.api_only:nope", "--workers", "2"]
    result = CliRunner().invoke(main, [*arguments, "--app-dir", str(REPO)])
    assert result.exit_code == 2
    assert "has no attribute 'nope'" in result.output


# Every command that takes MODULE:APP reads, imports and reports it the same way.
COMMANDS_WITH_A_TARGET = [
    pytest.param(["run", "{target}", "--app-dir", "{repo}", "--workers", "2"], id="run"),
    pytest.param(
        ["publish", "{target}", "--app-dir", "{repo}", "orders", "--data", "{{}}"], id="publish"
    ),
    pytest.param(["dlq", "--app-dir", "{repo}", "{target}", "list"], id="dlq"),
]


@pytest.mark.parametrize("command", COMMANDS_WITH_A_TARGET)
@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("service", "expected MODULE:APP, like 'service.main:app', got 'service'"),
        ("no_such_module_here:app", "cannot import module 'no_such_module_here' (looked in"),
        ("tests.runtime.apps.api_only:nope", "has no attribute 'nope'"),
    ],
)
def test_every_command_refuses_a_bad_target_with_the_same_reason(
    command: list[str], target: str, reason: str
) -> None:
    arguments = [part.format(target=target, repo=REPO) for part in command]
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code == 2, result.output
    assert reason in " ".join(result.output.split())


@pytest.mark.parametrize("command", COMMANDS_WITH_A_TARGET)
def test_a_dependency_missing_inside_the_module_is_not_reported_as_a_bad_target(
    command: list[str], tmp_path: Path
) -> None:
    # "service_app" imports "service", which is missing: a bug to show with its traceback,
    # not a mistyped MODULE:APP.
    (tmp_path / "service_app.py").write_text("import service\napp = None\n")
    arguments = [part.format(target="service_app:app", repo=tmp_path) for part in command]
    result = CliRunner().invoke(main, arguments)
    assert isinstance(result.exception, ModuleNotFoundError)
    assert result.exception.name == "service"


def test_run_with_workers_refuses_a_target_that_is_not_an_application() -> None:
    result = CliRunner().invoke(main, ["run", "json:dumps.__doc__", "--workers", "2"])
    assert result.exit_code == 2
    assert "json:dumps.__doc__ is not an ASGI application" in result.output


@pytest.mark.parametrize("workers", ["1", "2"])
def test_an_app_whose_startup_fails_exits_with_the_startup_failure_code(workers: str) -> None:
    port = str(free_port())
    result = cli("run", "tests.runtime.apps.broken:app", "--workers", workers, "--port", port)
    assert result.returncode == 3, result.stderr
    assert "database unreachable" in result.stderr


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_shuts_down_gracefully_and_exits_zero(
    stop_signal: signal.Signals, tmp_path: Path
) -> None:
    port = free_port()
    log = tmp_path / "service.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*RUN, "tests.runtime.apps.api_only:app", "--port", str(port)],
            cwd=REPO,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + PATIENCE
        while True:
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            try:
                if httpx.get(f"http://127.0.0.1:{port}/hello").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        process.send_signal(stop_signal)
        exit_code = process.wait(PATIENCE)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    text = log.read_text()
    assert exit_code == 0, text
    assert "Application shutdown complete" in text
    assert "Traceback" not in text
