"""pubsub-runtime: an asyncio-native runtime for Google Cloud Pub/Sub services.

The public API: ``PubSubBroker`` and its ``@broker.subscriber`` decorator, ``Message`` (and
``AckResult``, what ``await message.ack()`` returns),
``TopicSpec`` (what pubsub-gen generates per topic), ``DecodeError``, ``FastPubSub``
(the FastAPI application; needs the ``app`` extra), and the dead-letter functions
(``peek_dead_letters``, ``replay_dead_letters``, ``purge_dead_letters``).
``pubsub_runtime.testing`` holds the in-memory broker and the emulator pytest plugin.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pubsub_runtime._version import __version__

if TYPE_CHECKING:  # at run time each name is imported when first used (``__getattr__``)
    from pubsub_runtime._ack_errors import AckResult
    from pubsub_runtime._app import FastPubSub, HealthReport
    from pubsub_runtime._attributes import FINGERPRINT_ATTRIBUTE, REVISION_ATTRIBUTE
    from pubsub_runtime._broker import PubSubBroker
    from pubsub_runtime._codecs.topic import TopicSpec
    from pubsub_runtime._deadletter import (
        DeadLetter,
        DeadLetterRoute,
        ReplayReport,
        count_dead_letters,
        dead_letter_routes,
        peek_dead_letters,
        purge_dead_letters,
        replay_dead_letters,
    )
    from pubsub_runtime._duration import Duration
    from pubsub_runtime._errors import (
        DecodeError,
        EncodeError,
        PubSubRuntimeError,
        PubSubUnreachable,
        UnknownWriterSchema,
    )
    from pubsub_runtime._logging import configure_logging
    from pubsub_runtime._message import Message
    from pubsub_runtime._offload import configure_process_pool, run_in_process
    from pubsub_runtime._push.auth import PushAuth
    from pubsub_runtime._retry import Drop, Retry
    from pubsub_runtime._tracing import disable_tracing, enable_tracing
    from pubsub_runtime._watchdog import LoopWatchdog

# Where each public name lives. The package imports none of them up front: the broker alone
# pulls in google-cloud-pubsub and grpc (about 0.5 s), which a user of one module (pubsub-gen
# reaching ``_codecs``, ``pubsub_runtime.testing``) should not pay for.
_MODULES = {
    "AckResult": "_ack_errors",
    "FINGERPRINT_ATTRIBUTE": "_attributes",
    "REVISION_ATTRIBUTE": "_attributes",
    "PubSubBroker": "_broker",
    "TopicSpec": "_codecs.topic",
    **dict.fromkeys(
        (
            "DeadLetter",
            "DeadLetterRoute",
            "ReplayReport",
            "count_dead_letters",
            "dead_letter_routes",
            "peek_dead_letters",
            "purge_dead_letters",
            "replay_dead_letters",
        ),
        "_deadletter",
    ),
    "Duration": "_duration",
    **dict.fromkeys(
        (
            "DecodeError",
            "EncodeError",
            "PubSubRuntimeError",
            "PubSubUnreachable",
            "UnknownWriterSchema",
        ),
        "_errors",
    ),
    "FastPubSub": "_app",  # needs the ``app`` extra (FastAPI)
    "HealthReport": "_app",
    "configure_logging": "_logging",
    "Message": "_message",
    "configure_process_pool": "_offload",
    "run_in_process": "_offload",
    "PushAuth": "_push.auth",
    "Drop": "_retry",
    "Retry": "_retry",
    "disable_tracing": "_tracing",
    "enable_tracing": "_tracing",
    "LoopWatchdog": "_watchdog",
}

__all__ = [
    "FINGERPRINT_ATTRIBUTE",
    "REVISION_ATTRIBUTE",
    "AckResult",
    "DeadLetter",
    "DeadLetterRoute",
    "DecodeError",
    "Drop",
    "Duration",
    "EncodeError",
    "FastPubSub",
    "HealthReport",
    "LoopWatchdog",
    "Message",
    "PubSubBroker",
    "PubSubRuntimeError",
    "PubSubUnreachable",
    "PushAuth",
    "ReplayReport",
    "Retry",
    "TopicSpec",
    "UnknownWriterSchema",
    "__version__",
    "configure_logging",
    "configure_process_pool",
    "count_dead_letters",
    "dead_letter_routes",
    "disable_tracing",
    "enable_tracing",
    "peek_dead_letters",
    "purge_dead_letters",
    "replay_dead_letters",
    "run_in_process",
    "schema_canonical_form",
    "schema_fingerprint",
]


if not TYPE_CHECKING:  # for mypy, the imports above are the module's namespace

    def __getattr__(name: str) -> Any:
        module = _MODULES.get(name)
        if module is None:
            raise AttributeError(f"module 'pubsub_runtime' has no attribute {name!r}")
        from importlib import import_module

        value = getattr(import_module(f"pubsub_runtime.{module}"), name)
        globals()[name] = value  # the next lookup is a plain one
        return value

    def __dir__() -> list[str]:
        return sorted({*globals(), *__all__})


def schema_fingerprint(definition: str) -> str:
    """CRC-64-AVRO fingerprint (16 hex digits) of an Avro schema's Parsing Canonical Form:
    the writer identity in the ``avro-fingerprint`` attribute and in pubsub-gen's lock file."""
    from pubsub_runtime._codecs.avro_resolve import fingerprint

    return fingerprint(definition)


def schema_canonical_form(definition: str) -> str:
    """The Parsing Canonical Form of an Avro schema's JSON text (what is fingerprinted)."""
    from pubsub_runtime._codecs.avro_resolve import canonical_form

    return canonical_form(definition)
