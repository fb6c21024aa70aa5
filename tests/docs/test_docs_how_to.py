"""The examples of the how-to guides, run for real: commands in temporary projects, handlers
through the in-memory broker, and the guides' own test files collected here."""

from __future__ import annotations

import importlib
import json
import logging
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from uuid import uuid4

import pytest
import yaml
from copier import run_copy
from docs_support import (
    DOCS_SRC,
    REPO,
    command_env,
    parse_with_click,
    run_transcript,
    shell_commands,
    without_env_prefix,
)

from docs_src.how_to.emulator.test_orders_emulator import (  # collected here
    test_an_order_goes_through_pubsub_and_back,
)
from docs_src.how_to.test_in_memory.test_escalation import (  # collected here  # noqa: F401
    tb,
    test_a_big_order_is_escalated,
    test_a_failing_order_is_retried_then_dead_lettered,
    test_a_poison_message_never_reaches_the_handler,
    test_a_small_order_is_acked_without_escalation,
    test_drain_can_raise_what_the_handler_raised,
)
from pubsub_runtime import FastPubSub, PubSubBroker
from pubsub_runtime.cli import main as runtime_cli
from pubsub_runtime.testing import Emulator, TestBroker

# A module's `pytestmark` stays in its module: mark the collected test here as well.
test_an_order_goes_through_pubsub_and_back = pytest.mark.emulator(
    test_an_order_goes_through_pubsub_and_back
)

# Example modules that the guides' own test files (collected above) import and exercise.
EXERCISED_BY_GUIDE_TESTS = {
    "docs_src.how_to.test_in_memory.service": "docs_src.how_to.test_in_memory.test_escalation",
}
HOME = "~/my-service"
PYTEST = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-c", "pyproject.toml"]


def forget_modules(prefix: str) -> None:
    for name in [m for m in sys.modules if m == prefix or m.startswith(prefix + ".")]:
        del sys.modules[name]


def run(command: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=cwd, env=command_env(**env), capture_output=True, text=True, check=False
    )


def test_the_guides_tests_import_the_code_they_test() -> None:
    for code, tests in EXERCISED_BY_GUIDE_TESTS.items():
        path = REPO / (tests.replace(".", "/") + ".py")
        assert f"from {code} import" in path.read_text(encoding="utf-8")


# -- add a topic ----------------------------------------------------------------------------


@pytest.fixture
def my_service(tmp_path: Path) -> Iterator[Path]:
    """A service like the template makes: one topic, its package generated into src/."""
    root = tmp_path / "my-service"
    (root / "schemas").mkdir(parents=True)
    shutil.copy(DOCS_SRC / "concepts/schemas/payment_received.avsc", root / "schemas")
    (root / "pyproject.toml").write_text(
        '[tool.pubsub-gen]\nschemas = "schemas"\nout = "src"\npackage = "my_service"\n'
    )
    done = run(["pubsub-gen"], root)
    assert done.returncode == 0, done.stderr
    yield root
    forget_modules("my_service")


def test_adding_a_topic_goes_as_the_guide_says(my_service: Path) -> None:
    add_topic = DOCS_SRC / "how_to/add_topic"
    shutil.copy(add_topic / "invoice_issued.avsc", my_service / "schemas")
    with (my_service / "pyproject.toml").open("a") as pyproject:
        pyproject.write("\n" + (add_topic / "pyproject_excerpt.toml").read_text())

    run_transcript(
        add_topic / "generate.console",
        my_service,
        normalize=lambda text: text.replace(str(my_service), HOME),
    )
    package = my_service / "src/my_service"
    stubs = (package / "handlers/invoice_issued.py").read_text()
    assert stubs.startswith("# This file is yours")
    for subscription in ("invoice_issued-mailer", "invoice_issued-ledger"):
        assert f'subscription_name="{subscription}"' in stubs

    # The guide's filled-in handlers replace the stubs; the generated tests still pass.
    shutil.copy(add_topic / "invoice_issued_handlers.py", package / "handlers/invoice_issued.py")
    done = run(
        [*PYTEST, "-o", "asyncio_mode=auto", "-o", "pythonpath=src", "src/my_service/tests"],
        my_service,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert run(["pubsub-gen", "--check"], my_service).returncode == 0


async def test_the_filled_in_handlers_store_and_mail_the_invoice(my_service: Path) -> None:
    add_topic = DOCS_SRC / "how_to/add_topic"
    shutil.copy(add_topic / "invoice_issued.avsc", my_service / "schemas")
    with (my_service / "pyproject.toml").open("a") as pyproject:
        pyproject.write("\n" + (add_topic / "pyproject_excerpt.toml").read_text())
    assert run(["pubsub-gen"], my_service).returncode == 0
    package = my_service / "src/my_service"
    shutil.copy(add_topic / "invoice_issued_handlers.py", package / "handlers/invoice_issued.py")

    sys.path.insert(0, str(my_service / "src"))
    try:
        service = importlib.import_module("my_service.app")
        events = importlib.import_module("my_service")
        handlers = importlib.import_module("my_service.handlers.invoice_issued")
        invoice = events.InvoiceIssued(
            invoice_id="inv-7",
            order_id=uuid4(),
            amount=Decimal("99.90"),
            due_on=datetime(2026, 4, 1, tzinfo=UTC).date(),
        )
        async with TestBroker(service.app.broker) as memory:
            await events.InvoiceIssuedPublisher(service.app.broker).publish(invoice)
            await memory.drain(raise_errors=True)
        assert events.TOPICS["invoice_issued"].encoding == "BINARY"
        assert {d.subscription for d in memory.acked()} == {
            "invoice_issued-mailer",
            "invoice_issued-ledger",
        }
        assert {"inv-7": invoice} == handlers.LEDGER
    finally:
        sys.path.remove(str(my_service / "src"))


# -- evolve a schema ------------------------------------------------------------------------


def test_check_compat_prints_what_the_guide_shows(tmp_path: Path) -> None:
    shutil.copytree(DOCS_SRC / "how_to/evolve", tmp_path / "evolve")
    run_transcript(DOCS_SRC / "how_to/evolve/check_compat.console", tmp_path / "evolve")


def test_the_v2_service_reads_a_v1_message_as_the_guide_shows(tmp_path: Path) -> None:
    """pubsub-gen on v1, then on v2_safe: the lock file keeps v1; read_old.py decodes with it."""
    evolve = DOCS_SRC / "how_to/evolve"
    shutil.copytree(evolve / "v1", tmp_path / "v1")
    shutil.copy(evolve / "read_old.py", tmp_path)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.pubsub-gen]\nschemas = "schemas"\nout = "."\npackage = "events"\n'
        'encoding = "binary"\n'
    )
    shutil.copytree(evolve / "v1", tmp_path / "schemas")
    assert run(["pubsub-gen"], tmp_path).returncode == 0
    shutil.copy(evolve / "v2_safe" / "payment_received.avsc", tmp_path / "schemas")
    assert run(["pubsub-gen"], tmp_path).returncode == 0
    recorded = json.loads((tmp_path / "pubsub-gen.lock").read_text())["topics"]
    assert len(recorded["payment_received"]) == 2
    done = run([sys.executable, "read_old.py"], tmp_path, PYTHONPATH=str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "paymentId": "p-1",
        "amountCents": 250,
        "method": "TRANSFER",
        "reference": None,
    }


def git(cwd: Path, *args: str) -> None:
    identity = {"GIT_AUTHOR_NAME": "Docs", "GIT_AUTHOR_EMAIL": "docs@example.invalid"}
    identity |= {"GIT_COMMITTER_NAME": "Docs", "GIT_COMMITTER_EMAIL": "docs@example.invalid"}
    done = subprocess.run(
        ["git", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", *args],
        cwd=cwd,
        env=command_env(**identity),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(("change", "breaks"), [("v2_safe", False), ("v2_breaking", True)])
def test_the_ci_commands_compare_with_git_refs(tmp_path: Path, change: str, breaks: bool) -> None:
    """ci.sh, as written: a clone whose origin/main and tag v1.4.0 hold version 1."""
    evolve = DOCS_SRC / "how_to/evolve"
    origin, clone = tmp_path / "origin", tmp_path / "clone"
    shutil.copytree(evolve / "v1", origin / "schemas")
    (origin / "pyproject.toml").write_text('[tool.pubsub-gen]\nschemas = "schemas"\n')
    git(origin, "init", "--quiet")
    git(origin, "add", "--all")
    git(origin, "commit", "--quiet", "-m", "v1")
    git(origin, "tag", "v1.4.0")
    git(tmp_path, "clone", "--quiet", str(origin), str(clone))
    shutil.copy(evolve / change / "payment_received.avsc", clone / "schemas")

    for command in shell_commands(evolve / "ci.sh"):
        done = run(command, clone)
        assert done.returncode == (1 if breaks else 0), f"{command}: {done.stdout}{done.stderr}"
        if breaks and "--format" in command:
            findings = json.loads(done.stdout)
            assert {f["path"] for f in findings} == {"amountCents", "currency"}
        elif breaks:
            assert "currency: field added without a default" in done.stdout


# -- dead letters ---------------------------------------------------------------------------


@pytest.fixture
def dead_letters() -> Iterator[ModuleType]:
    module = importlib.import_module("docs_src.how_to.dead_letters.service")
    module.CHARGED.clear()
    yield module
    module.CHARGED.clear()


def an_order(total: str) -> object:
    events = importlib.import_module("example_events")
    order_placed = importlib.import_module("example_events.order_placed")
    return events.OrderPlaced(
        order_id=uuid4(),
        placed_at=datetime.now(UTC),
        customer=order_placed.Customer(id="c-1"),
        items=[order_placed.LineItem(sku="book", unit_price=Decimal(total))],
        total=Decimal(total),
    )


async def test_a_charge_is_acked_and_a_duplicate_dropped(dead_letters: ModuleType) -> None:
    broker = dead_letters.broker
    order = an_order("20.00")
    async with TestBroker(broker) as memory:
        await broker.publish("order_placed", order)
        await broker.publish("order_placed", order)
        await memory.drain()
    assert [d.outcome for d in memory.deliveries("charge")] == ["acked", "dropped"]
    assert {str(order.order_id)} == dead_letters.CHARGED  # type: ignore[attr-defined]


async def test_a_busy_provider_means_a_delayed_retry(
    dead_letters: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []

    async def busy_once(order: object) -> None:
        calls.append(order)
        if len(calls) == 1:
            raise dead_letters.ProviderBusy()

    monkeypatch.setattr(dead_letters, "charge_card", busy_once)
    async with TestBroker(dead_letters.broker) as memory:
        await dead_letters.broker.publish("order_placed", an_order("20.00"))
        await memory.drain()
    first, second = memory.deliveries("charge")
    assert (first.outcome, type(first.exception).__name__) == ("nacked", "Retry")
    assert second.outcome == "acked" and second.attempt == 2


async def test_a_failing_order_reaches_the_dead_letter_reader(
    dead_letters: ModuleType, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger=dead_letters.__name__)
    async with TestBroker(dead_letters.broker) as memory:
        await dead_letters.broker.publish("order_placed", an_order("0.00"))
        await memory.drain()
    attempts = memory.deliveries("charge")
    assert [d.outcome for d in attempts] == ["nacked"] * 4 + ["dead_lettered"]
    assert [d.message.delivery_attempt for d in attempts] == [1, 2, 3, 4, 5]
    assert len(memory.acked("dead-orders")) == 1
    assert "5 failed attempts" in caplog.text


async def test_a_poison_message_is_dead_lettered_at_once(
    dead_letters: ModuleType, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger=dead_letters.__name__)
    async with TestBroker(dead_letters.broker) as memory:
        message_id = await memory.publish("order_placed", b'{"orderId": 42}')
        await memory.drain()
    [attempt] = memory.deliveries("charge")
    assert (attempt.outcome, attempt.handled) == ("dead_lettered", False)
    [copy] = memory.published("order_placed-dead")
    assert copy.attributes["pubsub-source-message-id"] == message_id
    assert "orderId" in copy.attributes["pubsub-decode-error"]
    assert f"order message {message_id} given up: orderId" in caplog.text


# -- deploy ---------------------------------------------------------------------------------

ANSWERS = {"service_name": "my-service", "gcp_project_id": "my-project", "python_version": "3.12"}


def test_the_dockerfile_is_the_template_s(tmp_path: Path) -> None:
    """The page's Dockerfile is what Copier writes for the page's example answers."""
    template = tmp_path / "template"  # a plain folder: Copier then reads no git state
    template.mkdir()
    shutil.copy(REPO / "copier.yml", template)
    shutil.copytree(REPO / "templates", template / "templates")
    service = tmp_path / "my-service"
    run_copy(str(template), service, data=ANSWERS, defaults=True, skip_tasks=True, quiet=True)
    rendered = (service / "Dockerfile").read_text(encoding="utf-8")
    shown = (DOCS_SRC / "how_to/deploy/Dockerfile").read_text(encoding="utf-8")
    assert shown == rendered, f"docs_src/how_to/deploy/Dockerfile is stale; now:\n{rendered}"


def test_the_image_command_and_variables_are_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    dockerfile = (DOCS_SRC / "how_to/deploy/Dockerfile").read_text(encoding="utf-8")
    command = json.loads(re.search(r"^CMD (\[.*\])$", dockerfile, re.M)[1])  # type: ignore[index]
    assert command[0] == "pubsub-runtime"
    assert parse_with_click(runtime_cli, command[0], command[1:]).params["port"] == 8080
    for line in shell_commands(DOCS_SRC / "how_to/deploy/docker.sh"):
        assert line[0] == "docker" and line[1] in {"build", "run"}
        variables = [line[i + 1] for i, word in enumerate(line) if word == "-e"]
        with monkeypatch.context() as patch:
            for name, value in without_env_prefix(variables)[0].items():
                patch.setenv(name, value)
            params = parse_with_click(runtime_cli, command[0], command[1:]).params
            if "PUBSUB_RUNTIME_WORKERS=4" in variables:
                assert params["workers"] == 4


def test_the_probes_use_the_app_s_health_routes() -> None:
    deployment = yaml.safe_load((DOCS_SRC / "how_to/deploy/probes.yaml").read_text())["spec"]
    [container] = deployment["containers"]
    app = FastPubSub(PubSubBroker(project_id="p"))
    routes = {getattr(route, "path", None) for route in app.routes}
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"]["path"] in routes
        assert container[probe]["httpGet"]["port"] == container["ports"][0]["containerPort"]
    assert deployment["terminationGracePeriodSeconds"] > app.shutdown_timeout


# -- push schemas and AsyncAPI --------------------------------------------------------------


@pytest.fixture
def payments(tmp_path: Path) -> Path:
    """The example project of the concept pages: two schemas and their configuration."""
    shutil.copytree(DOCS_SRC / "concepts/schemas", tmp_path / "schemas")
    shutil.copy(DOCS_SRC / "concepts/pyproject_excerpt.toml", tmp_path / "pyproject.toml")
    return tmp_path


@pytest.mark.emulator
def test_push_schemas_prints_what_the_guide_shows(
    pubsub_emulator: Emulator, payments: Path
) -> None:
    # A fresh project on the session's emulator: nothing exists in it yet.
    project = f"docs-{uuid4().hex[:8]}"
    transcript = DOCS_SRC / "how_to/push_schemas/push.console"

    def normalize(text: str) -> str:
        text = re.sub(r"\(revision [0-9a-f]+\)", "(revision R)", text)
        text = re.sub(r"revisions [0-9a-f]+\.\.[0-9a-f]+\)", "revisions R..R)", text)
        return text.replace(project, "my-project")

    shown = transcript.read_text(encoding="utf-8").replace("my-project", project)
    (payments / "push.console").write_text(shown)
    run_transcript(
        payments / "push.console",
        payments,
        env=command_env(PUBSUB_EMULATOR_HOST=pubsub_emulator.host),
        normalize=normalize,
    )


def test_asyncapi_writes_the_document_shown(tmp_path: Path) -> None:
    folder = DOCS_SRC / "how_to/asyncapi"
    shutil.copytree(DOCS_SRC / "how_to/evolve/v1", tmp_path / "schemas")
    shutil.copy(folder / "pyproject_excerpt.toml", tmp_path / "pyproject.toml")
    first, as_json, to_stdout = shell_commands(folder / "asyncapi.sh")

    done = run(first, tmp_path)
    assert done.returncode == 0, done.stderr
    shown = (folder / "asyncapi.yaml").read_text(encoding="utf-8")
    assert (tmp_path / "asyncapi.yaml").read_text(encoding="utf-8") == shown

    assert run(as_json, tmp_path).returncode == 0
    document = json.loads((tmp_path / "asyncapi.json").read_text(encoding="utf-8"))
    assert document["asyncapi"] == "3.0.0"
    printed = run(to_stdout, tmp_path)
    assert yaml.safe_load(printed.stdout)["channels"].keys() == {"payment_received"}
