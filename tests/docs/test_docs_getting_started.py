"""The examples of index.md and getting-started.md."""

from __future__ import annotations

import importlib
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from uuid import uuid4

import httpx
import pytest
import yaml
from docs_support import (
    DOCS,
    DOCS_SRC,
    REPO,
    command_env,
    parse_with_click,
    shell_commands,
    without_env_prefix,
)

from pubsub_runtime.cli import main as runtime_cli
from pubsub_runtime.testing import Emulator, TestBroker
from pubsub_runtime.testing._emulator import free_port


def app_module() -> ModuleType:
    return importlib.import_module("docs_src.getting_started.app")


def order_body() -> dict[str, object]:
    """An OrderPlaced as a client posts it: JSON with the schema's field names."""
    return {
        "orderId": str(uuid4()),
        "placedAt": datetime(2026, 3, 1, 9, 30, tzinfo=UTC).isoformat(),
        "customer": {"id": "c-1"},
        "items": [{"sku": "book-1", "unitPrice": "12.50"}],
        "total": "12.50",
    }


async def test_the_app_publishes_an_order_that_its_handler_receives() -> None:
    module = app_module()
    async with TestBroker(module.broker) as tb:
        transport = httpx.ASGITransport(app=module.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.post("/orders", json=order_body())
        await tb.drain(raise_errors=True)

    assert response.status_code == 200
    [published] = tb.published("order_placed")
    assert response.json() == {"message_id": published.id}
    [delivery] = tb.acked("order_placed-billing")
    assert delivery.payload.total == Decimal("12.50")
    assert delivery.alias == "billing"


async def test_the_app_refuses_a_body_that_is_not_an_order() -> None:
    module = app_module()
    async with TestBroker(module.broker) as tb:
        transport = httpx.ASGITransport(app=module.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.post("/orders", json={"orderId": "not a uuid"})
    assert response.status_code == 422
    assert tb.published() == []


def make_targets(makefile: Path) -> set[str]:
    return set(re.findall(r"^([A-Za-z][\w-]*):", makefile.read_text(encoding="utf-8"), re.M))


def test_the_two_commands_are_targets_of_the_makefile() -> None:
    commands = shell_commands(DOCS_SRC / "getting_started/commands.sh")
    assert commands == [["make", "demo"], ["make", "test"]]
    assert {"demo", "test"} <= make_targets(REPO / "Makefile")


def test_the_new_service_commands_match_copier_and_the_template() -> None:
    commands = shell_commands(DOCS_SRC / "getting_started/new_service.sh")
    copier, *rest = commands
    assert copier[:3] == [".venv/bin/copier", "copy", "--trust"]
    help_text = subprocess.run(
        [str(Path(sys.executable).parent / "copier"), "copy", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "--trust" in help_text
    # `.venv/bin/copier copy --trust . ../my-service` from the root of a checkout: the
    # template is the checkout, which must hold Copier's configuration.
    assert (REPO / "copier.yml").is_file()
    targets = make_targets(REPO / "templates/service/Makefile.jinja")
    made = [command[1] for command in rest if command[0] == "make"]
    assert made and set(made) <= targets


def test_the_page_lists_every_question_of_the_template() -> None:
    questions = yaml.safe_load((REPO / "copier.yml").read_text(encoding="utf-8"))
    asked = [
        name
        for name, spec in questions.items()
        if not name.startswith("_") and not (isinstance(spec, dict) and spec.get("when") is False)
    ]
    page = (DOCS / "getting-started.md").read_text(encoding="utf-8")
    assert [name for name in asked if f"`{name}`" not in page] == []
    listed = set(re.findall(r"^\| `(\w+)` \|", page, re.M))
    assert listed <= set(asked) | {"schemas"}


def test_the_run_command_is_accepted_by_pubsub_runtime(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "src").mkdir()  # in a service: --app-dir src exists
    monkeypatch.chdir(tmp_path)
    commands = shell_commands(DOCS_SRC / "getting_started/run.sh")
    runs = [c for c in commands if c[0] == ".venv/bin/pubsub-runtime"]
    assert runs
    for command in runs:
        ctx = parse_with_click(runtime_cli, "pubsub-runtime", command[1:])
        assert ctx.params["app"] == "my_service.app:app"
    exported = [c for c in commands if c[0] == "export"]
    assert without_env_prefix(exported[0][1:])[0].keys() == {"PUBSUB_EMULATOR_HOST"}


@pytest.mark.emulator
def test_the_run_commands_work_in_a_service_made_as_the_page_says(
    pubsub_emulator: Emulator, tmp_path: Path
) -> None:
    """run.sh typed in ../my-service (new_service.sh made it; its .venv stands in for the one
    `make test` makes there): the emulator address and the port are this run's free ones."""
    from template.template_support import copy_service, make_template_repo

    service = copy_service(make_template_repo(tmp_path / "checkout"), tmp_path / "my-service")
    (service / ".venv").symlink_to(Path(sys.executable).parent.parent)
    export, run, curl = shell_commands(DOCS_SRC / "getting_started/run.sh")
    assert export == ["export", "PUBSUB_EMULATOR_HOST=127.0.0.1:8085"]
    assert run[-2:] == ["--port", "8000"] and curl[-1] == "localhost:8000/consumers/alive"
    port = free_port()
    env = command_env(
        PUBSUB_EMULATOR_HOST=pubsub_emulator.host, PUBSUB_PROJECT_ID=f"docs-{uuid4().hex[:8]}"
    )
    log = tmp_path / "app.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [*run[:-1], str(port)], cwd=service, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        url = f"http://{curl[-1].replace('8000', str(port))}"
        wait_for(lambda: get_status(url) == 200, server, log)
        assert httpx.get(url, timeout=10).json()["status"] == "ok"
        assert "my-service.order_placed" in log.read_text()
    finally:
        server.send_signal(signal.SIGTERM)
        code = server.wait(timeout=60)
    assert code == 0, log.read_text()


@pytest.mark.emulator
def test_the_app_serves_and_handles_an_order_on_the_emulator(
    pubsub_emulator: Emulator, tmp_path: Path
) -> None:
    """What run.sh does, for real: serve the app, post an order, see it handled, stop it."""
    port = free_port()
    log = tmp_path / "app.log"
    env = command_env(
        PUBSUB_EMULATOR_HOST=pubsub_emulator.host,
        PUBSUB_PROJECT_ID=f"docs-{uuid4().hex[:8]}",
        PYTHONPATH=f"{REPO}:{REPO / 'generated_example'}",
    )
    command = ["pubsub-runtime", "run", "docs_src.getting_started.app:app", "--port", str(port)]
    with log.open("w") as out:
        server = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(lambda: get_status(f"{base}/consumers/alive") == 200, server, log)
        body = order_body()
        response = httpx.post(f"{base}/orders", json=body, timeout=30)
        assert response.status_code == 200, response.text
        wait_for(lambda: f"billing order {body['orderId']}" in log.read_text(), server, log)
    finally:
        server.send_signal(signal.SIGTERM)
        code = server.wait(timeout=60)
    assert code == 0, log.read_text()


def get_status(url: str) -> int | None:
    try:
        return httpx.get(url, timeout=5).status_code
    except httpx.HTTPError:
        return None


def wait_for(condition: object, server: subprocess.Popen[bytes], log: Path) -> None:
    """Poll until ``condition()``; the deadline only bounds a hung run."""
    assert callable(condition)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if condition():
            return
        if server.poll() is not None:
            raise AssertionError(f"the app exited with {server.returncode}:\n{log.read_text()}")
        time.sleep(0.2)
    raise AssertionError(f"timed out; the app's output:\n{log.read_text()}")
