"""Quiet, structured logging for the service.

One line per event, never per message: failures carry their context (alias, topic, message id,
handler) as ``key=value`` pairs (``text``) or fields (``json``), and an exception is folded into
the same line unless the level is ``debug``, where the full traceback follows.

Context comes from ``extra={...}`` on the record, and otherwise from the current asyncio task:
handler tasks are named by the dispatcher after their alias, handler and message id, so a user's
own ``logger.warning(...)`` inside a handler is tagged too.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import logging
import logging.config
import traceback
from collections.abc import Mapping
from typing import Any, Literal

from pubsub_runtime._dispatch import parse_handler_task_name

LogFormat = Literal["text", "json"]
LEVELS = ("critical", "error", "warning", "info", "debug")

# Context keys shown first, in this order; any other ``extra`` key follows.
CONTEXT_KEYS = ("alias", "topic", "subscription", "handler", "message_id", "delivery_attempt")

# Libraries whose info logs are per-request or per-stream chatter.
_NOISY = ("google", "grpc", "urllib3", "httpx", "httpcore", "watchfiles", "asyncio")

_STANDARD = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys()
    | {"message", "asctime", "color_message", "taskName"}
)

_alias_topics: dict[str, str] = {}


def register_alias_topics(topics: Mapping[str, str]) -> None:
    """Tell the log context which topic each subscriber alias reads (set by ``FastPubSub``)."""
    _alias_topics.update(topics)


class HandlerContextFilter(logging.Filter):
    """Adds alias, topic, handler and message id to records emitted inside a handler task."""

    def filter(self, record: logging.LogRecord) -> bool:
        if hasattr(record, "message_id"):
            return True
        try:
            task = asyncio.current_task()
        except RuntimeError:  # no running loop in this thread
            return True
        if task is None:
            return True
        parsed = parse_handler_task_name(task.get_name())
        if parsed is not None:
            alias, handler, message_id = parsed
            record.alias = alias
            record.handler = handler
            record.message_id = message_id
            topic = _alias_topics.get(alias)
            if topic is not None and not hasattr(record, "topic"):
                record.topic = topic
        return True


def _context(record: logging.LogRecord) -> dict[str, Any]:
    extras = {k: v for k, v in record.__dict__.items() if k not in _STANDARD}
    ordered = {k: extras.pop(k) for k in CONTEXT_KEYS if k in extras}
    ordered.update(sorted(extras.items()))
    return {k: v for k, v in ordered.items() if v is not None}


def _quote(value: Any) -> str:
    text = str(value)
    if not text or any(c in text for c in ' "=\n\t'):
        return json.dumps(text)
    return text


def _one_line_error(exc: BaseException) -> str:
    """``Type: message (file:line in function)``, the innermost frame of the traceback."""
    text = f"{type(exc).__qualname__}: {exc}".replace("\n", " ").rstrip(": ")
    frames = traceback.extract_tb(exc.__traceback__)
    if frames:
        last = frames[-1]
        text += f" ({last.filename}:{last.lineno} in {last.name})"
    return text


class StructuredFormatter(logging.Formatter):
    """``text``: ``time LEVEL logger: message | key=value ...``; ``json``: one object per line."""

    def __init__(
        self,
        fmt: LogFormat = "text",
        tracebacks: bool = False,
        use_colors: bool | None = None,  # accepted because uvicorn may pass it; ignored
    ) -> None:
        super().__init__()
        if fmt not in ("text", "json"):
            raise ValueError(f"log format must be 'text' or 'json', got {fmt!r}")
        self.fmt = fmt
        self.tracebacks = tracebacks

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        context = _context(record)
        error = None
        if record.exc_info and record.exc_info[1] is not None:
            error = _one_line_error(record.exc_info[1])
        when = datetime.datetime.fromtimestamp(record.created, tz=datetime.UTC)
        timestamp = when.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        if self.fmt == "json":
            payload: dict[str, Any] = {
                "time": timestamp,
                "level": record.levelname.lower(),
                "logger": record.name,
                "message": message,
                **{
                    k: v if isinstance(v, int | float | bool) else str(v)
                    for k, v in context.items()
                },
            }
            if error is not None:
                payload["error"] = error
                if self.tracebacks and record.exc_info:
                    payload["traceback"] = "".join(traceback.format_exception(*record.exc_info))
            return json.dumps(payload, ensure_ascii=False)
        line = f"{timestamp} {record.levelname:<7} {record.name}: {message}"
        if context:
            line += " | " + " ".join(f"{k}={_quote(v)}" for k, v in context.items())
        if error is not None:
            line += f" | error={_quote(error)}"
            if self.tracebacks and record.exc_info:
                line += "\n" + "".join(traceback.format_exception(*record.exc_info)).rstrip()
        return line


def logging_config(
    level: str = "info", fmt: LogFormat = "text", *, access_log: bool = False
) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` mapping (also given to uvicorn as ``log_config``)."""
    level = level.lower()
    if level not in LEVELS:
        raise ValueError(f"log level must be one of {', '.join(LEVELS)}, got {level!r}")
    upper = level.upper()
    quiet = "WARNING" if logging.getLevelName(upper) < logging.WARNING else upper
    formatter = {
        "()": "pubsub_runtime._logging.StructuredFormatter",
        "fmt": fmt,
        "tracebacks": level == "debug",
    }
    handler = {
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stderr",
        "formatter": "default",
        "filters": ["handler_context"],
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"handler_context": {"()": "pubsub_runtime._logging.HandlerContextFilter"}},
        # uvicorn expects both names when it is told to force colours on or off.
        "formatters": {"default": formatter, "access": dict(formatter)},
        "handlers": {
            "default": handler,
            "access": {**handler, "formatter": "access"},
        },
        "root": {"level": upper, "handlers": ["default"]},
        "loggers": {
            "uvicorn": {"level": upper, "handlers": [], "propagate": True},
            "uvicorn.error": {"level": upper, "propagate": True},
            "uvicorn.access": {
                "level": upper if access_log else "WARNING",
                "handlers": ["access"] if access_log else [],
                "propagate": False,
            },
            **{name: {"level": quiet, "propagate": True} for name in _NOISY},
        },
    }


def configure_logging(level: str = "info", fmt: LogFormat = "text") -> None:
    """Apply the service's logging configuration to this process."""
    logging.config.dictConfig(logging_config(level, fmt))
