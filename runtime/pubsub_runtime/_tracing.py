"""OpenTelemetry spans for publishes and handled messages, with the context in attributes.

Needs ``opentelemetry-api`` (the ``tracing`` extra; an SDK and exporter to see anything),
imported only when tracing is enabled: ``enable_tracing()``, ``PubSubBroker(tracing=True)``
or ``PUBSUB_RUNTIME_TRACING=1``. Off, it costs one global read per message.

- ``broker.publish`` runs in a PRODUCER span ``"<topic> create"`` and injects its context into
  the message attributes with the configured propagator (W3C trace context by default:
  ``traceparent``, ``tracestate``), each also under google-cloud-pubsub's own name
  (``googclient_traceparent``, ...) so that its subscribers, with their OpenTelemetry
  tracing on, continue the trace too.
- Each handled message runs in a CONSUMER span ``"<subscription> process"`` whose parent is
  the context extracted from the attributes (either spelling), so a trace continues from the
  publishing service to this one, and the handler's own spans and publishes are its children.
  A payload that does not decode gets an ended span with an error status.

Span names follow google-cloud-pubsub's, attribute names OpenTelemetry's messaging
conventions (``messaging.system="gcp_pubsub"``, ``messaging.message.id``, ...).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, MutableMapping
from typing import TYPE_CHECKING, Any, Final

from pubsub_runtime._attributes import CLIENT_PREFIX
from pubsub_runtime._observe import (
    Attributes,
    Observer,
    RunFunction,
    SendFunction,
    Source,
    install,
    short_name,
    uninstall,
)
from pubsub_runtime._version import __version__

if TYPE_CHECKING:
    from opentelemetry.trace import TracerProvider

    from pubsub_runtime._message import Message
    from pubsub_runtime._outcome import Outcome

__all__ = ["TRACING_ENV", "Tracing", "disable_tracing", "enable_tracing", "tracing_from_env"]

TRACING_ENV: Final = "PUBSUB_RUNTIME_TRACING"
_GOOGLE_KEYS: Final = frozenset({"traceparent", "tracestate"})  # what it propagates
_SYSTEM: Final = "gcp_pubsub"
_TRUE: Final = frozenset({"1", "true", "yes", "on"})


def tracing_from_env() -> bool:
    """True when ``PUBSUB_RUNTIME_TRACING`` asks for tracing."""
    return os.environ.get(TRACING_ENV, "").strip().lower() in _TRUE


class _AttributesSetter:
    """Writes a context field as a message attribute, google-cloud-pubsub's spelling too."""

    def set(self, carrier: MutableMapping[str, str], key: str, value: str) -> None:
        carrier[key] = value
        if key in _GOOGLE_KEYS:
            carrier[CLIENT_PREFIX + key] = value


class _AttributesGetter:
    """Reads a context field from message attributes: ours first, then google-cloud-pubsub's."""

    def get(self, carrier: Mapping[str, str], key: str) -> list[str] | None:
        value = carrier.get(key)
        if value is None:
            value = carrier.get(CLIENT_PREFIX + key)
        return None if value is None else [value]

    def keys(self, carrier: Mapping[str, str]) -> list[str]:
        return [key.removeprefix(CLIENT_PREFIX) for key in carrier]


# Duck-typed TextMap setter and getter: subclassing OpenTelemetry's would import it when off.
_SETTER: Final[Any] = _AttributesSetter()
_GETTER: Final[Any] = _AttributesGetter()


class Tracing(Observer):
    """Makes the spans described in the module doc, with ``tracer_provider`` (default: global)."""

    def __init__(self, tracer_provider: TracerProvider | None = None) -> None:
        from opentelemetry import propagate, trace

        self.tracer_provider = tracer_provider
        self._trace = trace
        self._propagate = propagate
        self._tracer = trace.get_tracer(
            "pubsub_runtime", __version__, tracer_provider=tracer_provider
        )

    def _consumer_attributes(self, source: Source, message: Message[object]) -> dict[str, Any]:
        attributes: dict[str, Any] = {
            "messaging.system": _SYSTEM,
            "messaging.operation.name": "process",
            "messaging.operation.type": "process",
            "messaging.destination.name": short_name(source.topic_name),
            "messaging.destination.subscription.name": short_name(source.subscription_name),
            "messaging.consumer.group.name": source.alias,
            "messaging.message.id": message.id,
            "messaging.message.body.size": len(message.data),
        }
        if message.delivery_attempt:
            attributes["messaging.gcp_pubsub.message.delivery_attempt"] = message.delivery_attempt
        if message.ordering_key:
            attributes["messaging.gcp_pubsub.message.ordering_key"] = message.ordering_key
        return attributes

    def _parent(self, message: Message[object]) -> Any:
        return self._propagate.extract(message.attributes, getter=_GETTER)

    async def handle(self, source: Source, message: Message[object], run: RunFunction) -> Outcome:
        with self._tracer.start_as_current_span(
            f"{short_name(source.subscription_name)} process",
            context=self._parent(message),
            kind=self._trace.SpanKind.CONSUMER,
            attributes=self._consumer_attributes(source, message),
        ) as span:
            outcome = await run()
            span.set_attribute("messaging.gcp_pubsub.result", "ack" if outcome.ack else "nack")
            return outcome

    def handler_failed(self, error: BaseException) -> None:
        span = self._trace.get_current_span()
        if span.is_recording():
            span.record_exception(error)
            span.set_status(self._trace.Status(self._trace.StatusCode.ERROR, repr(error)))

    def decode_failed(self, source: Source, message: Message[object], reason: str) -> None:
        span = self._tracer.start_span(
            f"{short_name(source.subscription_name)} process",
            context=self._parent(message),
            kind=self._trace.SpanKind.CONSUMER,
            attributes={
                **self._consumer_attributes(source, message),
                "messaging.gcp_pubsub.result": "decode_error",
                "error.type": "DecodeError",
            },
        )
        span.set_status(self._trace.Status(self._trace.StatusCode.ERROR, reason))
        span.end()

    async def publish(self, topic: str, attributes: Attributes, send: SendFunction) -> str:
        name = short_name(topic)
        with self._tracer.start_as_current_span(
            f"{name} create",
            kind=self._trace.SpanKind.PRODUCER,
            attributes={
                "messaging.system": _SYSTEM,
                "messaging.operation.name": "create",
                "messaging.operation.type": "create",
                "messaging.destination.name": name,
            },
        ) as span:
            carrier: dict[str, str] = dict(attributes) if attributes else {}
            self._propagate.inject(carrier, setter=_SETTER)
            message_id = await send(carrier)
            span.set_attribute("messaging.message.id", message_id)
            return message_id


_tracing: Tracing | None = None


def enable_tracing(tracer_provider: TracerProvider | None = None) -> Tracing:
    """Trace publishes and handled messages from now on, process-wide (see the module doc).

    ``tracer_provider`` defaults to the global one (``opentelemetry.trace``); calling again
    with another provider replaces the first.
    """
    global _tracing
    if _tracing is not None:
        if tracer_provider is None or tracer_provider is _tracing.tracer_provider:
            return _tracing
        disable_tracing()
    _tracing = Tracing(tracer_provider)
    install(_tracing)
    return _tracing


def disable_tracing() -> None:
    """Stop tracing (spans already started end normally)."""
    global _tracing
    if _tracing is not None:
        uninstall(_tracing)
        _tracing = None


def context_attribute_keys(attributes: Iterable[str]) -> set[str]:
    """The attributes of a message that carry trace context (for tests and filters)."""
    return {
        key
        for key in attributes
        if key.removeprefix(CLIENT_PREFIX) in {"traceparent", "tracestate", "baggage"}
    }
