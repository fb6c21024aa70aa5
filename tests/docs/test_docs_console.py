"""The dead-letter replay section of how-to/dead-letters.md and the console page: the ``dlq``
commands run literally on an emulator, the script's function, the console's app and command."""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import subprocess
from collections.abc import Iterator
from types import ModuleType

import httpx
import pytest
from docs_support import DOCS_SRC, REPO, command_env, parse_with_click, shell_commands
from docs_support import without_env_prefix as split_env

from pubsub_runtime import count_dead_letters
from pubsub_runtime._app import console_from_env
from pubsub_runtime.cli import main as runtime_cli
from pubsub_runtime.testing import Emulator, find_emulator, start_emulator

WAIT = 90.0  # guard against hangs only


@pytest.fixture
def own_emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    """An emulator of its own: the page's names are fixed, so no other test may share them."""
    if find_emulator() is None:
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail("Pub/Sub emulator not installed (CI is set: a failure, not a skip)")
        pytest.skip("Pub/Sub emulator not installed")
    with start_emulator(project_id="local-project") as emulator:
        monkeypatch.setenv("PUBSUB_EMULATOR_HOST", emulator.host)
        yield emulator


async def dead_letter_poison(service: ModuleType, tenants: list[str], expected: int) -> None:
    """Publish bytes that are no OrderPlaced; the service dead-letters them at once."""
    broker = service.broker
    async with broker:
        for tenant in tenants:
            await broker.publish("order_placed", b"not an order", {"tenant": tenant})
        deadline = asyncio.get_running_loop().time() + WAIT
        while await count_dead_letters(broker, "order_placed-dead") != expected:
            assert asyncio.get_running_loop().time() < deadline, "no dead letters"
            await asyncio.sleep(0.3)


@pytest.mark.emulator
async def test_the_dlq_commands_and_the_replay_script_work_as_the_page_says(
    own_emulator: Emulator,
) -> None:
    service = importlib.import_module("docs_src.how_to.dead_letters.service")
    await dead_letter_poison(service, ["acme", "globex"], expected=2)
    env = command_env(
        PUBSUB_EMULATOR_HOST=own_emulator.host,
        PYTHONPATH=os.pathsep.join([str(REPO), str(REPO / "generated_example")]),
    )
    outputs = []
    for command in shell_commands(DOCS_SRC / "how_to/dead_letters/dlq.sh"):
        done = await asyncio.to_thread(
            subprocess.run, command, cwd=REPO, env=env, capture_output=True, text=True, timeout=WAIT
        )
        assert done.returncode == 0, f"{command}: {done.stderr}"
        outputs.append(done.stdout)
    listed, peeked, dry_run, filtered, purged = outputs
    assert "order_placed-charge\torder_placed\torder_placed-dead\t2" in listed
    letters = json.loads(peeked)
    assert sorted(letter["attributes"]["tenant"] for letter in letters) == ["acme", "globex"]
    assert all(letter["reason"].startswith("does not decode: ") for letter in letters)
    assert "would replay 2, refused 0" in dry_run
    assert "replayed 1, refused 0, not matching the filter 1" in filtered
    assert "purged 1 message(s) from order_placed-dead" in purged

    # The script: acme's replayed message fails again (it still is no order), initech's is new.
    await dead_letter_poison(service, ["initech"], expected=2)
    script = importlib.import_module("docs_src.how_to.dead_letters.replay")
    report = await script.replay_tenant(service.broker, "initech")
    assert (len(report.replayed), report.skipped, report.error) == (1, 1, None)


async def test_the_console_example_is_on_and_behind_its_auth_hook() -> None:
    module = importlib.import_module("docs_src.how_to.console.app")
    assert module.app.console_enabled
    transport = httpx.ASGITransport(app=module.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://app") as http:
        assert (await http.get("/console/")).status_code == 401
        allowed = await http.get("/console/", headers={"Authorization": "Bearer dev-token"})
        assert allowed.status_code == 200 and "local-project" in allowed.text
        assert (await http.get("/orders/o-1")).status_code == 401


def test_the_console_command_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    (command,) = shell_commands(DOCS_SRC / "how_to/console/run.sh")
    env, words = split_env(command)
    assert env == {"PUBSUB_CONSOLE": "1"}
    monkeypatch.setenv("PUBSUB_CONSOLE", "1")
    assert console_from_env()
    context = parse_with_click(runtime_cli, words[0], words[1:])
    assert context.params["app"] == "my_service.app:app" and context.params["reload"]
