"""Instrumentation hooks: how the broker tells metrics and tracing what happens to messages.

Off unless something is installed: ``hooks`` is ``None`` and each call site costs one global
read (``hooks = _observe.hooks; if hooks is not None: ...``). ``install`` puts an ``Observer``
in (metrics and tracing are the two the runtime has); several are chained, the first installed
outermost. Observers are process-wide, like the Prometheus registry and the OpenTelemetry
tracer provider they feed.

Where the subscribers call them, for each delivery of a message:
``received`` (before decoding), then either ``decode_failed`` or ``handle`` (wraps the handler
run: a tracer makes its span current there, so the handler's own spans and publishes are its
children), and finally ``settled`` once with "ack", "nack" or "dead_letter", or "ack_failed"
when Pub/Sub refused a confirmed ack (exactly-once subscriptions report an ack only once
Pub/Sub confirms it). ``handler_failed``
is called by ``run_handler`` inside ``handle`` with the exception a handler raised.
``publish`` wraps ``broker.publish`` and may add attributes (the trace context) to the message.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Literal, Protocol

from pubsub_runtime._config import short_name  # re-exported: the observers label with it

if TYPE_CHECKING:
    from pubsub_runtime._config import SubscriberOptions
    from pubsub_runtime._message import Message
    from pubsub_runtime._outcome import Outcome

__all__ = [
    "Observer",
    "Settlement",
    "Source",
    "hooks",
    "install",
    "installed",
    "short_name",
    "uninstall",
]

Settlement = Literal["ack", "nack", "dead_letter", "ack_failed"]
Attributes = Mapping[str, str] | None
SendFunction = Callable[[Attributes], Awaitable[str]]
RunFunction = Callable[[], Awaitable["Outcome"]]


class Source(Protocol):
    """What observers read of a subscriber (pull or push) to label what they record."""

    @property
    def alias(self) -> str: ...

    @property
    def topic_name(self) -> str: ...

    @property
    def subscription_name(self) -> str: ...

    @property
    def options(self) -> SubscriberOptions: ...


class Observer:
    """Base class: every hook does nothing (or just runs what it wraps). Override what you need.

    Hooks run on the event loop, in the path of every message: keep them short, never block,
    and never raise (an observer's bug must not change what happens to a message).
    """

    def received(self, source: Source, message: Message[object]) -> None:
        """A message was delivered to ``source`` (before its payload is decoded)."""

    def decode_failed(self, source: Source, message: Message[object], reason: str) -> None:
        """The payload did not decode; the poison-message policy applies next."""

    async def handle(self, source: Source, message: Message[object], run: RunFunction) -> Outcome:
        """Wrap one handler run; must await ``run()`` exactly once and return its outcome."""
        return await run()

    def handler_failed(self, error: BaseException) -> None:
        """The running handler raised ``error`` (or timed out); called inside ``handle``."""

    def settled(self, source: Source, message: Message[object], settlement: Settlement) -> None:
        """What Pub/Sub is told about the delivery: acked, nacked, or dead-lettered and acked.

        "ack_failed": Pub/Sub refused the ack (exactly-once subscriptions, ``message.ack()``).
        """

    async def publish(self, topic: str, attributes: Attributes, send: SendFunction) -> str:
        """Wrap one publish to ``topic``; ``send(attributes)`` returns the message id."""
        return await send(attributes)


class _Chain(Observer):
    """Several observers as one; the first is outermost around ``handle`` and ``publish``."""

    def __init__(self, observers: tuple[Observer, ...]) -> None:
        self.observers = observers

    def received(self, source: Source, message: Message[object]) -> None:
        for observer in self.observers:
            observer.received(source, message)

    def decode_failed(self, source: Source, message: Message[object], reason: str) -> None:
        for observer in self.observers:
            observer.decode_failed(source, message, reason)

    async def handle(self, source: Source, message: Message[object], run: RunFunction) -> Outcome:
        for observer in reversed(self.observers):
            run = _bind_handle(observer, source, message, run)
        return await run()

    def handler_failed(self, error: BaseException) -> None:
        for observer in self.observers:
            observer.handler_failed(error)

    def settled(self, source: Source, message: Message[object], settlement: Settlement) -> None:
        for observer in self.observers:
            observer.settled(source, message, settlement)

    async def publish(self, topic: str, attributes: Attributes, send: SendFunction) -> str:
        for observer in reversed(self.observers):
            send = _bind_publish(observer, topic, send)
        return await send(attributes)


def _bind_handle(
    observer: Observer, source: Source, message: Message[object], run: RunFunction
) -> RunFunction:
    return lambda: observer.handle(source, message, run)


def _bind_publish(observer: Observer, topic: str, send: SendFunction) -> SendFunction:
    return lambda attributes: observer.publish(topic, attributes, send)


hooks: Observer | None = None
"""The installed observers as one, or ``None``: what every call site reads."""

_installed: dict[Observer, int] = {}  # observer -> how many times installed


def install(observer: Observer) -> None:
    """Start calling ``observer`` (counted: as many ``uninstall`` calls take it out)."""
    _installed[observer] = _installed.get(observer, 0) + 1
    _rebuild()


def uninstall(observer: Observer) -> None:
    """Undo one ``install``; unknown observers are ignored."""
    count = _installed.get(observer, 0)
    if count <= 1:
        _installed.pop(observer, None)
    else:
        _installed[observer] = count - 1
    _rebuild()


def installed() -> tuple[Observer, ...]:
    return tuple(_installed)


def _rebuild() -> None:
    global hooks
    observers = tuple(_installed)
    if not observers:
        hooks = None
    elif len(observers) == 1:
        hooks = observers[0]
    else:
        hooks = _Chain(observers)
