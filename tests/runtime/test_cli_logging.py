"""Service logs: one line per failure, with the handler's context."""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys

import pytest

from pubsub_runtime._dispatch import handler_task_name
from pubsub_runtime._logging import (
    HandlerContextFilter,
    StructuredFormatter,
    logging_config,
    register_alias_topics,
)


def record_with_error(**extra: object) -> logging.LogRecord:
    try:
        raise ValueError("bad payload\nsecond line")
    except ValueError:
        record = logging.getLogger("pubsub_runtime").makeRecord(
            "pubsub_runtime", logging.ERROR, __file__, 1, "handler failed", (), sys.exc_info()
        )
    record.__dict__.update(extra)
    return record


def test_text_lines_carry_context_and_fold_the_error_into_one_line() -> None:
    record = record_with_error(alias="orders", message_id="42", topic="orders-topic")
    line = StructuredFormatter("text").format(record)

    assert "\n" not in line
    assert "ERROR   pubsub_runtime: handler failed | alias=orders topic=orders-topic" in line
    assert "message_id=42" in line
    assert 'error="ValueError: bad payload second line (' in line
    assert "test_cli_logging.py:" in line and "in record_with_error)" in line


def test_debug_lines_add_the_traceback() -> None:
    text = StructuredFormatter("text", tracebacks=True).format(record_with_error())
    first, *rest = text.splitlines()
    assert "error=" in first
    assert rest[0] == "Traceback (most recent call last):"


def test_json_lines_are_one_object_with_context_fields() -> None:
    line = StructuredFormatter("json").format(record_with_error(alias="orders", attempt=3))
    payload = json.loads(line)
    assert "\n" not in line
    assert payload["level"] == "error"
    assert payload["logger"] == "pubsub_runtime"
    assert payload["message"] == "handler failed"
    assert payload["alias"] == "orders"
    assert payload["attempt"] == 3
    assert payload["error"].startswith("ValueError: bad payload")


async def test_records_logged_inside_a_handler_task_get_its_alias_topic_and_message_id() -> None:
    register_alias_topics({"billing": "invoices"})
    context = HandlerContextFilter()
    seen: list[logging.LogRecord] = []

    async def handler_body() -> None:
        record = logging.makeLogRecord({"msg": "charging card"})
        context.filter(record)
        seen.append(record)

    name = handler_task_name("billing", "app.charge", "77")
    await asyncio.get_running_loop().create_task(handler_body(), name=name)

    [record] = seen
    line = StructuredFormatter("text").format(record)
    assert line.endswith(
        "charging card | alias=billing topic=invoices handler=app.charge message_id=77"
    )


def test_the_config_is_quiet_about_libraries_and_validates_its_arguments() -> None:
    config = logging_config("info")
    assert config["root"]["level"] == "INFO"
    assert config["loggers"]["google"]["level"] == "WARNING"
    assert config["loggers"]["uvicorn.access"]["handlers"] == []
    assert logging_config("debug", access_log=True)["loggers"]["uvicorn.access"]["handlers"]
    with pytest.raises(ValueError, match="log level"):
        logging_config("loud")


def test_configure_logging_writes_one_line_per_failure_to_stderr() -> None:
    program = (
        "import logging\n"
        "from pubsub_runtime._logging import configure_logging\n"
        "configure_logging('warning')\n"
        "logging.getLogger('app').info('hidden')\n"
        "try:\n"
        "    1 / 0\n"
        "except ZeroDivisionError:\n"
        "    logging.getLogger('app').exception('failed', extra={'alias': 'a'})\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True
    )
    [line] = result.stderr.splitlines()
    assert "ERROR   app: failed | alias=a | error=" in line
    assert "ZeroDivisionError: division by zero" in line
