"""Exceptions the runtime raises to users."""

from __future__ import annotations


class PubSubRuntimeError(Exception):
    """Base class of the runtime's own errors."""


class DecodeError(PubSubRuntimeError):
    """Bytes that do not decode to a topic's model.

    Raised by ``TopicSpec.decode``; carries the topic name and a one-line reason so that
    subscribers can log it with the message id and apply their poison-message policy.
    """

    def __init__(self, topic: str, reason: str) -> None:
        super().__init__(f"{topic}: {reason}")
        self.topic = topic
        self.reason = reason


class EncodeError(PubSubRuntimeError):
    """A value that cannot be encoded for a topic (wrong model type, value outside the schema)."""

    def __init__(self, topic: str, reason: str) -> None:
        super().__init__(f"{topic}: {reason}")
        self.topic = topic
        self.reason = reason
