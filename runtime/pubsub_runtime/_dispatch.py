"""How a handler is called: its task name, what it takes, and what its result means.

The loop watchdog finds the handler that blocks the loop through the name of the running task,
so the name format here is a contract between the two: ``pubsub-handler|alias|qualname|id``.
``run_handler`` turns a handler's return, exception, ``Retry``/``Drop`` or timeout into an
``Outcome`` (ack, nack, or nack with a redelivery delay) and logs it once; ``returned`` and
``raised`` are those decisions, which ``deliver`` (``_delivery``, the one delivery path of pull,
push and in-memory subscribers) also applies when it calls a plain handler itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import typing
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pubsub_runtime import _observe
from pubsub_runtime._message import Message
from pubsub_runtime._outcome import ACK, NACK, Outcome
from pubsub_runtime._retry import Drop, Retry

if TYPE_CHECKING:
    from pubsub_runtime._config import TopicCodec

__all__ = [
    "ACK",
    "NACK",
    "Handler",
    "HandlerCall",
    "Outcome",
    "check_payload_annotation",
    "handler_task_name",
    "inspect_handler",
    "parse_handler_task_name",
    "raised",
    "returned",
    "run_handler",
]

logger = logging.getLogger("pubsub_runtime")

Handler = Callable[[Any], Awaitable[Any]]

_TASK_PREFIX = "pubsub-handler"
_SEP = "|"


def handler_task_name(alias: str, handler_qualname: str, message_id: str) -> str:
    """The name of the asyncio task running ``handler_qualname`` on one message."""
    return f"{_TASK_PREFIX}{_SEP}{alias}{_SEP}{handler_qualname}{_SEP}{message_id}"


def parse_handler_task_name(name: str) -> tuple[str, str, str] | None:
    """``(alias, handler_qualname, message_id)`` of a handler task's name, else ``None``."""
    if not name.startswith(_TASK_PREFIX + _SEP):
        return None
    # The alias may not contain the separator, message ids never do; the qualname is the rest.
    rest = name[len(_TASK_PREFIX) + 1 :]
    alias, sep, rest = rest.partition(_SEP)
    qualname, sep2, message_id = rest.rpartition(_SEP)
    if not sep or not sep2:
        return None
    return alias, qualname, message_id


@dataclass(frozen=True, slots=True)
class HandlerCall:
    """What the dispatcher needs to know about a handler, worked out once at decoration."""

    qualname: str
    wants_payload: bool  # True: called with the decoded model, False: with the Message
    annotation: Any  # the first parameter's annotation (a class when resolvable), or None


def _is_async_callable(handler: object) -> bool:
    if inspect.iscoroutinefunction(handler):
        return True
    call = getattr(handler, "__call__", None)  # noqa: B004 - an object with an async __call__
    return call is not None and inspect.iscoroutinefunction(call)


def _first_parameter_annotation(handler: Callable[..., Any]) -> Any:
    try:
        signature = inspect.signature(handler)
    except (TypeError, ValueError):
        return None
    parameters = [
        p
        for p in signature.parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)
    ]
    if not parameters:
        raise TypeError(
            f"handler {_qualname(handler)} must accept one positional argument "
            "(the Message, or the topic's decoded model)"
        )
    first = parameters[0]
    if first.annotation is inspect.Parameter.empty:
        return None
    annotation = first.annotation
    if isinstance(annotation, str):
        # ``from __future__ import annotations``: resolve in the handler's module; a name that
        # cannot be resolved (e.g. a class local to a function) stays a string.
        target: Any = inspect.unwrap(handler)
        if not (inspect.isfunction(target) or inspect.ismethod(target)):
            target = type(target).__call__
        with contextlib.suppress(Exception):
            annotation = typing.get_type_hints(target).get(first.name, annotation)
    return annotation


def _is_message_annotation(annotation: Any) -> bool:
    if annotation is None or annotation is Any:
        return True
    if isinstance(annotation, str):
        return annotation == "Message" or annotation.startswith(("Message[", "pubsub_runtime."))
    origin = typing.get_origin(annotation)
    target = origin if origin is not None else annotation
    return isinstance(target, type) and issubclass(target, Message)


def _qualname(handler: object) -> str:
    name = getattr(handler, "__qualname__", None) or type(handler).__qualname__
    module = getattr(handler, "__module__", None)
    return f"{module}.{name}" if module else str(name)


def inspect_handler(handler: object, alias: str) -> HandlerCall:
    """Check that ``handler`` is async and work out what it is called with.

    Raises ``TypeError`` for a non-async handler: handlers run on the event loop, and a
    blocking call in one would freeze every other handler and the health endpoints.
    """
    if not callable(handler):
        raise TypeError(f"subscriber {alias!r}: the handler must be callable, got {handler!r}")
    if not _is_async_callable(handler):
        raise TypeError(
            f"subscriber {alias!r}: handler {_qualname(handler)} must be an 'async def' "
            "function. Handlers run concurrently on a single asyncio event loop; a regular "
            "function would block it (and every other handler and health check) while it "
            "runs. Declare it 'async def', await async I/O inside it, and move CPU-bound "
            "work to loop.run_in_executor() or more worker processes (--workers)."
        )
    annotation = _first_parameter_annotation(handler)
    return HandlerCall(
        qualname=_qualname(handler),
        wants_payload=not _is_message_annotation(annotation),
        annotation=annotation,
    )


def check_payload_annotation(
    alias: str, topic_name: str, annotation: Any, spec: TopicCodec | None
) -> None:
    """A handler typed with a model needs the topic registered, with that model."""
    if spec is None:
        raise TypeError(
            f"subscriber {alias!r}: the handler's first parameter is annotated {annotation!r}, "
            f"so it expects a decoded payload, but topic {topic_name!r} is not registered: "
            "pass topics=TOPICS to PubSubBroker, or annotate the parameter with Message"
        )
    if isinstance(annotation, type) and not issubclass(spec.model, annotation):
        raise TypeError(
            f"subscriber {alias!r}: the handler expects {annotation.__qualname__}, but topic "
            f"{topic_name!r} carries {spec.model.__qualname__}"
        )


async def run_handler(
    handler: Handler,
    call: HandlerCall,
    message: Message[Any],
    *,
    alias: str,
    timeout: float | None = None,  # noqa: ASYNC109 - per message, from the options
) -> Outcome:
    """Run ``handler`` on ``message`` and decide its outcome; log anything but a plain ack.

    Returning acks; ``Drop`` acks without handling; ``Retry`` nacks (with its delay); another
    exception nacks; running past ``timeout`` seconds cancels the handler and nacks. A handler
    may also return a ``Retry`` or ``Drop`` instead of raising it. ``CancelledError`` (the
    subscriber stopping) propagates: the caller nacks. ``deliver`` runs a handler without
    observers or timeout itself, deciding with the same ``returned``/``raised``.
    """
    argument = message.payload if call.wants_payload else message
    try:
        if timeout is None:
            result = await handler(argument)
        else:
            scope = asyncio.timeout(timeout)
            try:
                async with scope:
                    result = await handler(argument)
            except TimeoutError:
                if not scope.expired():
                    raise  # the handler's own TimeoutError: an ordinary failure
                return _timed_out(call, message, alias, timeout)
    except Exception as exc:
        return raised(exc, call, message, alias)
    return ACK if result is None else returned(result, call, message, alias)


def returned(result: Any, call: HandlerCall, message: Message[Any], alias: str) -> Outcome:
    """The outcome of a handler that returned ``result`` (not None: ``Retry``, ``Drop``...)."""
    if isinstance(result, Retry):
        return _retried(result, alias, call, message)
    if isinstance(result, Drop):
        return _dropped(result, alias, call, message)
    return ACK


def raised(exc: Exception, call: HandlerCall, message: Message[Any], alias: str) -> Outcome:
    """The outcome of a handler that raised ``exc``; logged, and told to the observers."""
    if isinstance(exc, Retry):
        return _retried(exc, alias, call, message, exc)
    if isinstance(exc, Drop):
        return _dropped(exc, alias, call, message, exc)
    hooks = _observe.hooks
    if hooks is not None:
        hooks.handler_failed(exc)
    logger.error(
        "subscriber %s: handler %s failed on message %s, nacked: %r",
        alias,
        call.qualname,
        message.id,
        exc,
        exc_info=exc,
        extra=_context(alias, message),
    )
    return Outcome(ack=False, error=exc)


def _timed_out(call: HandlerCall, message: Message[Any], alias: str, timeout: float) -> Outcome:
    error = TimeoutError(f"handler {call.qualname} did not finish within {timeout} s")
    hooks = _observe.hooks
    if hooks is not None:
        hooks.handler_failed(error)
    logger.warning(
        "subscriber %s: handler %s did not finish message %s within %.1f s; cancelled and nacked",
        alias,
        call.qualname,
        message.id,
        timeout,
        extra=_context(alias, message),
    )
    return Outcome(ack=False, error=error)


def _retried(
    retry: Retry,
    alias: str,
    call: HandlerCall,
    message: Message[Any],
    raised: BaseException | None = None,
) -> Outcome:
    delay = retry.delay_seconds
    logger.info(
        "subscriber %s: handler %s asked to retry message %s%s; nacked%s",
        alias,
        call.qualname,
        message.id,
        f" ({retry.reason})" if retry.reason else "",
        f", redelivery in {delay} s" if delay else "",
        extra=_context(alias, message),
    )
    if raised is None:
        return Outcome(ack=False, delay=delay) if delay else NACK
    return Outcome(ack=False, delay=delay, error=raised)


def _dropped(
    drop: Drop,
    alias: str,
    call: HandlerCall,
    message: Message[Any],
    raised: BaseException | None = None,
) -> Outcome:
    logger.warning(
        "subscriber %s: handler %s dropped message %s%s; acked without handling",
        alias,
        call.qualname,
        message.id,
        f" ({drop.reason})" if drop.reason else "",
        extra=_context(alias, message),
    )
    return ACK if raised is None else Outcome(ack=True, error=raised)


def _context(alias: str, message: Message[Any]) -> dict[str, Any]:
    return {
        "alias": alias,
        "message_id": message.id,
        "delivery_attempt": message.delivery_attempt,
    }
