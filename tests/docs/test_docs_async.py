"""The examples of the async guide (async-handlers.md)."""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import httpx
import pytest
from docs_support import DOCS_SRC, parse_with_click, shell_commands, without_env_prefix

from pubsub_runtime import FastPubSub, HealthReport, PubSubBroker
from pubsub_runtime._logging import StructuredFormatter
from pubsub_runtime._offload import shutdown_process_pool
from pubsub_runtime.cli import main as runtime_cli
from pubsub_runtime.testing import TestBroker


def example(name: str) -> ModuleType:
    return importlib.import_module(name)


def test_the_event_loop_example_interleaves_as_shown(capsys: pytest.CaptureFixture[str]) -> None:
    asyncio.run(example("docs_src.async_guide.event_loop").main())
    shown = (DOCS_SRC / "async_guide/event_loop_output.txt").read_text(encoding="utf-8")
    assert capsys.readouterr().out == shown


def test_a_sync_handler_is_refused_when_declared() -> None:
    module = example("docs_src.async_guide.sync_handler")
    with pytest.raises(TypeError, match="must be an 'async def' function"):
        module.declare_sync_handler()
    assert module.broker.subscribers == ()


class Records(logging.Handler):
    """Keeps the records of one logger, formatted as the service would print them."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []
        self.setFormatter(StructuredFormatter("text"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def watchdog_lines() -> Iterator[list[str]]:
    records = Records()
    logger = logging.getLogger("pubsub_runtime.watchdog")
    logger.addHandler(records)
    previous = logger.level
    logger.setLevel(logging.INFO)
    try:
        yield records.lines
    finally:
        logger.removeHandler(records)
        logger.setLevel(previous)


async def run_app_on(broker: PubSubBroker, publishes: int) -> FastPubSub:
    """Serve a FastPubSub app of ``broker`` in memory and let it handle ``publishes`` messages."""
    app = FastPubSub(broker)
    async with TestBroker(broker) as tb, app.router.lifespan_context(app):
        for number in range(publishes):
            await broker.publish("user-events", f"event {number}")
        await tb.drain(raise_errors=True)
        assert len(tb.acked()) == publishes
    return app


def line_of(text: str, module: ModuleType) -> int:
    source = Path(module.__file__ or "").read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(source, 1) if text in line)


def normalized(line: str) -> str:
    """A watchdog line without what changes from run to run (time, ids, paths, durations)."""
    line = re.sub(r"^\S+Z ", "TIME ", line)
    line = re.sub(r"'[\w.]+\.resize_avatar'", "'HANDLER'", line)
    line = re.sub(r"handler=[\w.]+", "handler=HANDLER", line)
    line = re.sub(r"message id \w+\)", "message id ID)", line)
    line = re.sub(r"message_id=\w+", "message_id=ID", line)
    line = re.sub(r" at \S+:\d+\. ", " at LOCATION. ", line)
    return re.sub(r"\d+ ms|blocked_ms=\d+", "N", line)


async def test_the_watchdog_names_the_blocking_handler_as_the_page_shows(
    watchdog_lines: list[str],
) -> None:
    module = example("docs_src.async_guide.blocking_handler")
    app = await run_app_on(module.broker, publishes=1)

    warnings = [line for line in watchdog_lines if " WARNING " in line]
    assert len(warnings) == 1, watchdog_lines
    shown = (DOCS_SRC / "async_guide/watchdog_log.txt").read_text(encoding="utf-8").strip()
    assert normalized(warnings[0]) == normalized(shown)
    assert f"blocking_handler.py:{line_of('time.sleep(', module)}. " in warnings[0]
    assert app.watchdog.blocks_reported == 1


async def test_the_awaiting_handler_is_not_reported(watchdog_lines: list[str]) -> None:
    module = example("docs_src.async_guide.non_blocking_handler")
    app = await run_app_on(module.broker, publishes=3)
    assert [line for line in watchdog_lines if " WARNING " in line] == []
    assert app.watchdog.blocks_reported == 0


def test_the_health_sample_is_a_health_report() -> None:
    sample = json.loads((DOCS_SRC / "async_guide/health.json").read_text(encoding="utf-8"))
    report = HealthReport.model_validate(sample)
    assert report.model_dump(mode="json") == sample  # no field of the sample is unknown
    real = FastPubSub(PubSubBroker(project_id="p")).health("alive").model_dump(mode="json")
    assert real.keys() == sample.keys() and real["loop"].keys() == sample["loop"].keys()


async def test_the_http_example_posts_the_message_and_nacks_on_errors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    module = example("docs_src.async_guide.http_call")
    seen: list[httpx.Request] = []
    statuses = iter([202, 503])

    def crm(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(next(statuses, 202))

    client = httpx.AsyncClient(
        base_url="https://crm.example.com", transport=httpx.MockTransport(crm)
    )
    monkeypatch.setattr(module, "crm", client)
    async with TestBroker(module.broker) as tb:
        await module.broker.publish("user-events", b'{"user": 1}')
        await module.broker.publish("user-events", b'{"user": 2}')
        await tb.drain()
    await client.aclose()

    assert [r.url.path for r in seen] == ["/events"] * 3  # one failure, then its redelivery
    assert sorted(r.content for r in seen) == [b'{"user": 1}', b'{"user": 2}', b'{"user": 2}']
    outcomes = sorted((d.message.data, d.outcome) for d in tb.deliveries())
    assert outcomes == [
        (b'{"user": 1}', "acked"),
        (b'{"user": 2}', "acked"),
        (b'{"user": 2}', "nacked"),
    ]


async def test_the_thread_example_writes_the_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    module = example("docs_src.async_guide.to_thread")
    monkeypatch.setattr(module, "ARCHIVE", tmp_path / "archive")
    async with TestBroker(module.broker) as tb:
        message_id = await module.broker.publish("user-events", b"payload")
        await tb.drain(raise_errors=True)
    assert (tmp_path / "archive" / f"{message_id}.bin").read_bytes() == b"payload"


async def test_the_process_pool_example_computes_off_the_loop(
    caplog: pytest.LogCaptureFixture,
) -> None:
    module = example("docs_src.async_guide.cpu_bound")
    expected = hashlib.pbkdf2_hmac("sha256", b"secret", b"salt", 200_000).hex()
    assert module.stretch_key(b"secret", rounds=200_000) == expected
    caplog.set_level(logging.INFO, logger=module.__name__)
    try:
        async with TestBroker(module.broker) as tb:
            await module.broker.publish("user-events", b"secret")
            await tb.drain(timeout=120, raise_errors=True)
    finally:
        await asyncio.to_thread(shutdown_process_pool)
    assert len(tb.acked("keys")) == 1
    assert f"derived key {expected[:8]}..." in caplog.text


def test_the_app_options_configure_the_watchdog() -> None:
    module = example("docs_src.async_guide.app_options")
    assert (module.app.watchdog.threshold, module.app.alive_max_lag) == (0.1, 1.0)
    defaults = FastPubSub(module.broker)
    assert (defaults.watchdog.threshold, defaults.alive_max_lag) == (0.1, 1.0)
    watchdog = module.strict_app.watchdog
    assert (watchdog.threshold, watchdog.stuck_after, watchdog.repeat_after) == (0.05, 2.0, 30.0)
    assert module.strict_app.alive_max_lag == 0.5


def test_the_worker_commands_are_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    commands = shell_commands(DOCS_SRC / "async_guide/workers.sh")
    assert len(commands) == 3
    parsed = []
    for command in commands:
        env, words = without_env_prefix(command)
        with monkeypatch.context() as patch:
            for name, value in env.items():
                patch.setenv(name, value)
            assert words[0] == "pubsub-runtime"
            parsed.append((env, parse_with_click(runtime_cli, words[0], words[1:]).params))
    assert parsed[0][1]["workers"] == 4
    assert parsed[1][1]["workers"] == 4  # from PUBSUB_RUNTIME_WORKERS
    # The pool's size is read by the runtime itself, when the pool is first made.
    from pubsub_runtime._offload import POOL_SIZE_VARIABLE

    assert parsed[2][0].keys() == {POOL_SIZE_VARIABLE}
