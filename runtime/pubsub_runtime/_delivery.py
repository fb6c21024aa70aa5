"""``deliver``: what happens to one received message, whatever brought it.

decode -> poison policy -> observe -> run the handler -> settle, written once. The pull
subscriber (``_subscriber``, one call per handler task), the push endpoint (``_push``, one call
per request) and the in-memory broker (``testing._memory``, one call per attempt) each pass
the message with a ``Transport``: how an outcome reaches Pub/Sub (the ack batcher of a stream,
an HTTP status, a record and a redelivery in memory). So the three agree on what every result
means, and the observers (metrics, tracing) see the same calls from each.

- **decode**: with the topic's codec, when the endpoint has one (in a worker thread for a large
  payload, ``_codecs.decode``). A message written with a schema revision the ``TopicSpec``
  does not know is decoded once the transport has fetched it (``Transport.learn_revision``);
  while the registry cannot be reached the message is nacked, not treated as poison.
- **poison policy**: a payload that does not decode never reaches the handler; it is logged
  and nacked, or with ``on_decode_error="dead_letter"`` copied to the dead-letter topic (same
  bytes and attributes, plus why) and acked; nacked when that copy cannot be published.
- **observe**: ``received``, then ``decode_failed`` or ``handle`` around the handler, then
  ``settled`` once (see ``_observe``).
- **run**: ``run_handler`` (``_dispatch``) turns the handler's return, exception, ``Retry``,
  ``Drop`` or timeout into an ``Outcome``.
- **settle**: the transport acks or nacks; a handler that acked with ``await message.ack()``
  has settled the message itself. Cancelled (the subscriber stopping), the message is nacked
  unless the handler acked it, and the cancellation goes on.

``deliver`` returns a ``Delivered`` for the transports that answer or record per message (push,
memory); the pull subscriber ignores it. When ``runs_bare`` (no codec, observers or timeout),
the pull subscriber may run a handler as a task of its own and settle it with ``settle_bare``:
the same decisions, one coroutine less per message.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal, Protocol

from pubsub_runtime import _observe
from pubsub_runtime._attributes import SCHEMA_ENCODING_ATTRIBUTE
from pubsub_runtime._codecs.decode import (
    OFFLOAD_DECODE_BYTES,
    decode,
    decode_off_loop,
    decodes_off_loop,
)
from pubsub_runtime._codecs.revisions import RegistryUnavailable
from pubsub_runtime._config import TopicCodec, project_of, topic_path
from pubsub_runtime._dispatch import Handler, HandlerCall, raised, returned, run_handler
from pubsub_runtime._errors import UnknownWriterSchema
from pubsub_runtime._outcome import ACK
from pubsub_runtime._poison import (
    PublishFunction,
    dead_letter_attributes,
    decode_reason,
    log_undecodable,
)

if TYPE_CHECKING:
    from pubsub_runtime._message import Message
    from pubsub_runtime._outcome import Outcome

__all__ = ["Delivered", "Endpoint", "Settled", "Transport", "deliver", "runs_bare", "settle_bare"]

Settled = Literal["ack", "nack", "ack_confirming", "acked_by_handler"]
"""What ``Transport.settle`` did: "ack" and "nack" are reported to the observers at once;
"ack_confirming" (exactly-once) once Pub/Sub answers; "acked_by_handler" was reported when the
handler called ``await message.ack()``."""


class Endpoint(_observe.Source, Protocol):
    """What ``deliver`` reads of a subscriber (pull or push): what observers label by, and more."""

    @property
    def kind(self) -> str: ...  # "subscriber" or "push subscriber", for the log lines

    @property
    def topic_path(self) -> str: ...

    @property
    def subscription_path(self) -> str: ...

    @property
    def spec(self) -> TopicCodec | None: ...

    @property
    def handler(self) -> Handler: ...

    @property
    def call(self) -> HandlerCall: ...


class Transport(Protocol):
    """How the outcome of one delivery reaches Pub/Sub (or stands in for it)."""

    @property
    def publish(self) -> PublishFunction | None:
        """Publishes dead-letter copies of poison messages; ``None``: nack them instead."""
        ...

    def settle(self, message: Message[Any], ack: bool, delay: int, /) -> Settled:
        """Ack, or nack for redelivery after ``delay`` seconds (0: at once), unless the handler
        acked the message itself (``await message.ack()``). Returns what happened."""
        ...

    def dead_lettered(self, message: Message[Any], /) -> None:
        """Ack a poison message whose copy is in the dead-letter topic."""
        ...

    def interrupted(self, message: Message[Any], /) -> bool:
        """The delivery was cancelled: nack unless the handler acked it; True when nacked."""
        ...

    async def learn_revision(self, spec: TopicCodec, unknown: UnknownWriterSchema, /) -> bool:
        """Fetch the writer schema ``unknown`` names and give it to ``spec``; False when this
        transport cannot (the message is then poison). Raises ``RegistryUnavailable``."""
        ...


@dataclass(frozen=True, slots=True)
class Delivered:
    """How one delivery ended: what Pub/Sub was told, and why.

    ``settlement``: "ack", "nack" or "dead_letter" (a poison message copied and acked).
    ``error``: what the handler raised, or why the payload did not decode. ``handled``: False
    when the handler was not called (the payload did not decode, or the registry that knows its
    schema could not be reached: ``retry_later``). ``copy_failed``: a poison message whose
    dead-letter copy could not be published (so it was nacked).
    """

    settlement: _observe.Settlement
    delay: int = 0
    error: BaseException | None = None
    handled: bool = True
    reason: str = ""
    copy_failed: bool = False
    retry_later: bool = False

    @property
    def ack(self) -> bool:
        return self.settlement != "nack"


_ACKED: Final = Delivered("ack")


async def deliver(endpoint: Endpoint, message: Message[Any], via: Transport) -> Delivered:
    """Decode, apply the poison policy, run the handler, settle: one message, start to end."""
    hooks = _observe.hooks
    if hooks is not None:
        hooks.received(endpoint, message)
    spec = endpoint.spec
    if spec is not None:
        data = message.data
        try:
            attributes = message._raw_attributes()  # a protobuf map stays one: no copy
            encoding = attributes.get(SCHEMA_ENCODING_ATTRIBUTE) or None
            if len(data) > OFFLOAD_DECODE_BYTES:
                message.payload = await decode_off_loop(spec, data, encoding, attributes)
            else:
                message.payload = decode(spec, data, encoding, attributes)
        except UnknownWriterSchema as unknown:
            try:
                learnt = await via.learn_revision(spec, unknown)
                if learnt:
                    message.payload = await _decode_again(spec, message)
            except RegistryUnavailable as exc:  # not poison: it decodes once the registry answers
                return _settle_nack(endpoint, message, via, hooks, exc)
            except Exception as exc:
                return await _undecodable(endpoint, message, via, hooks, exc)
            except BaseException:
                _interrupted(endpoint, message, via, hooks)
                raise
            if not learnt:
                return await _undecodable(endpoint, message, via, hooks, unknown)
        except Exception as exc:
            return await _undecodable(endpoint, message, via, hooks, exc)
        except BaseException:  # cancelled (a large payload's decode in its thread)
            _interrupted(endpoint, message, via, hooks)
            raise
    options = endpoint.options
    try:
        if hooks is None and options.timeout is None:
            # run_handler's work without its coroutine (the hot path): same decisions
            call = endpoint.call
            try:
                result = await endpoint.handler(message.payload if call.wants_payload else message)
            except Exception as exc:
                outcome = raised(exc, call, message, endpoint.alias)
            else:
                outcome = ACK if result is None else returned(result, call, message, endpoint.alias)
        elif hooks is None:
            outcome = await run_handler(
                endpoint.handler,
                endpoint.call,
                message,
                alias=endpoint.alias,
                timeout=options.timeout,
            )
        else:
            outcome = await hooks.handle(endpoint, message, _runner(endpoint, message))
    except BaseException:  # cancelled by stop(), or the process is going down
        _interrupted(endpoint, message, via, hooks)
        raise
    if outcome is ACK:
        settled = via.settle(message, True, 0)
        if hooks is not None and settled == "ack":
            hooks.settled(endpoint, message, settled)
        return _ACKED
    settled = via.settle(message, outcome.ack, outcome.delay)
    if settled == "nack":
        if hooks is not None:
            hooks.settled(endpoint, message, settled)
        return Delivered("nack", delay=outcome.delay, error=outcome.error)
    if hooks is not None and settled == "ack":
        hooks.settled(endpoint, message, settled)
    return Delivered("ack", error=outcome.error)


def runs_bare(endpoint: Endpoint) -> bool:
    """Nothing to do around the handler: no codec, no observers, no timeout.

    Then a pull subscriber may run the handler's coroutine as the task itself, without
    ``deliver`` around it, and settle with ``settle_bare`` once the task is done: the same
    decisions, without one coroutine (and its frame) per message.
    """
    return _observe.hooks is None and endpoint.spec is None and endpoint.options.timeout is None


def settle_bare(endpoint: Endpoint, message: Message[Any], via: Transport, task: Any) -> None:
    """Settle the message of a finished task that ran the handler alone (``runs_bare``).

    What ``deliver`` decides when the handler returns, raises or is cancelled: a cancelled
    handler (the subscriber stopping) or one that raised a ``BaseException`` is nacked unless it
    acked itself (``deliver`` lets such an exception end its task; here it already has).
    """
    if task.cancelled():
        via.interrupted(message)
        return
    error = task.exception()
    call = endpoint.call
    if error is None:
        result = task.result()
        outcome = ACK if result is None else returned(result, call, message, endpoint.alias)
    elif isinstance(error, Exception):
        outcome = raised(error, call, message, endpoint.alias)
    else:
        via.interrupted(message)
        return
    via.settle(message, outcome.ack, outcome.delay)


def _runner(endpoint: Endpoint, message: Message[Any]) -> Callable[[], Awaitable[Outcome]]:
    return lambda: run_handler(
        endpoint.handler,
        endpoint.call,
        message,
        alias=endpoint.alias,
        timeout=endpoint.options.timeout,
    )


async def _decode_again(spec: TopicCodec, message: Message[Any]) -> Any:
    """After the writer's revision was learnt."""
    attributes = message._raw_attributes()
    encoding = attributes.get(SCHEMA_ENCODING_ATTRIBUTE) or None
    if decodes_off_loop(message.data):
        return await decode_off_loop(spec, message.data, encoding, attributes)
    return decode(spec, message.data, encoding, attributes)


def _interrupted(
    endpoint: Endpoint, message: Message[Any], via: Transport, hooks: _observe.Observer | None
) -> None:
    if via.interrupted(message) and hooks is not None:
        hooks.settled(endpoint, message, "nack")


def _settle_nack(
    endpoint: Endpoint,
    message: Message[Any],
    via: Transport,
    hooks: _observe.Observer | None,
    error: BaseException,
) -> Delivered:
    """Nack a message that did not reach its handler but is no poison (the registry is away)."""
    _nack(endpoint, message, via, hooks)
    return Delivered("nack", error=error, handled=False, retry_later=True)


async def _undecodable(
    endpoint: Endpoint,
    message: Message[Any],
    via: Transport,
    hooks: _observe.Observer | None,
    error: BaseException,
) -> Delivered:
    """The poison policy: nack, or copy to the dead-letter topic and ack."""
    reason = decode_reason(error)
    if hooks is not None:
        hooks.decode_failed(endpoint, message, reason)
    options = endpoint.options
    publish = via.publish
    if options.on_decode_error != "dead_letter" or not options.dead_letter_topic or not publish:
        _log_poison(endpoint, message, reason, "nacked")
        _nack(endpoint, message, via, hooks)
        return Delivered("nack", error=error, handled=False, reason=reason)
    target = topic_path(project_of(endpoint.subscription_path), options.dead_letter_topic)
    attributes = dead_letter_attributes(
        message, reason, subscription=endpoint.subscription_path, topic=endpoint.topic_path
    )
    try:
        await publish(target, message.data, attributes, None)
    except BaseException as exc:
        _nack(endpoint, message, via, hooks)
        if isinstance(exc, asyncio.CancelledError) or not isinstance(exc, Exception):
            raise
        _log_poison(
            endpoint, message, reason, f"publishing it to {target} failed ({exc!r}), nacked"
        )
        return Delivered("nack", error=error, handled=False, reason=reason, copy_failed=True)
    via.dead_lettered(message)
    _log_poison(endpoint, message, reason, f"published to dead-letter topic {target} and acked")
    if hooks is not None:
        hooks.settled(endpoint, message, "dead_letter")
    return Delivered("dead_letter", error=error, handled=False, reason=reason)


def _nack(
    endpoint: Endpoint, message: Message[Any], via: Transport, hooks: _observe.Observer | None
) -> None:
    settled = via.settle(message, False, 0)
    if hooks is not None and settled == "nack":
        hooks.settled(endpoint, message, settled)


def _log_poison(endpoint: Endpoint, message: Message[Any], reason: str, outcome: str) -> None:
    log_undecodable(
        endpoint.kind, endpoint.alias, endpoint.subscription_path, message, reason, outcome
    )
