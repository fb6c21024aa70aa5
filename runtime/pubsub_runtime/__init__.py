"""pubsub-runtime: an asyncio-native runtime for Google Cloud Pub/Sub services.

The public API: ``PubSubBroker`` and its ``@broker.subscriber`` decorator, ``Message``,
``TopicSpec`` (what pubsub-gen generates per topic), ``DecodeError``, and ``FastPubSub``
(the FastAPI application; needs the ``app`` extra). ``pubsub_runtime.testing`` holds the
in-memory broker and the emulator pytest plugin.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pubsub_runtime._broker import PubSubBroker
from pubsub_runtime._errors import DecodeError, EncodeError, PubSubRuntimeError
from pubsub_runtime._message import Message
from pubsub_runtime._topic import Duration, TopicSpec

if TYPE_CHECKING:
    from pubsub_runtime._app import FastPubSub

__version__ = "0.1.0"

__all__ = [
    "DecodeError",
    "Duration",
    "EncodeError",
    "FastPubSub",
    "Message",
    "PubSubBroker",
    "PubSubRuntimeError",
    "TopicSpec",
    "__version__",
]


def __getattr__(name: str) -> Any:
    # FastAPI is an optional extra: import the app only when it is asked for.
    if name == "FastPubSub":
        from pubsub_runtime._app import FastPubSub

        return FastPubSub
    raise AttributeError(f"module 'pubsub_runtime' has no attribute {name!r}")
