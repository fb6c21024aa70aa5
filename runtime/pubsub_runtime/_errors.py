"""Exceptions the runtime raises to users, and the one-line reasons its logs give for them."""

from __future__ import annotations

from pydantic import ValidationError


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


class UnknownWriterSchema(DecodeError):
    """A message written with a schema revision the ``TopicSpec`` does not know.

    ``revision_id`` is Pub/Sub's ``googclient_schemarevisionid`` of the message (when it has
    one) and ``fingerprint`` its ``avro-fingerprint`` attribute (when it has one). The message
    is never decoded with today's schema instead; a subscriber first fetches an unknown
    registry revision (``schema_name``) and decodes again.
    """

    def __init__(
        self,
        topic: str,
        *,
        revision_id: str | None,
        fingerprint: str | None,
        schema_name: str | None = None,
    ) -> None:
        named = [f"revision {revision_id}"] if revision_id else []
        named += [f"fingerprint {fingerprint}"] if fingerprint else []
        super().__init__(topic, f"unknown writer schema ({', '.join(named)})")
        self.revision_id = revision_id
        self.fingerprint = fingerprint
        self.schema_name = schema_name


class PubSubUnreachable(PubSubRuntimeError):
    """Pub/Sub could not be reached at start: no connection in time, or no credentials.

    Its message is one line: what failed, the endpoint tried, and how to point the service at
    an emulator (``PUBSUB_EMULATOR_HOST``) or give it Google Cloud credentials.
    """

    def __init__(self, endpoint: str, problem: str) -> None:
        super().__init__(
            f"{problem} (endpoint {endpoint}). For a local emulator set "
            "PUBSUB_EMULATOR_HOST=host:port and start it (gcloud beta emulators pubsub start "
            "--host-port=localhost:8085); for Google Cloud leave PUBSUB_EMULATOR_HOST unset and "
            "give credentials (GOOGLE_APPLICATION_CREDENTIALS=key.json or "
            "gcloud auth application-default login)."
        )
        self.endpoint = endpoint
        self.problem = problem


def one_line(exc: BaseException) -> str:
    """A short reason for a log line: the first problem, on one line."""
    if isinstance(exc, ValidationError):
        return validation_reason(exc)
    text = str(exc).strip().splitlines()
    first = text[0] if text else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def validation_reason(exc: ValidationError) -> str:
    """``loc: message`` of a pydantic error's first problem, and how many more there are."""
    errors = exc.errors(include_url=False)
    if not errors:
        return f"invalid {exc.title}"
    first = errors[0]
    where = ".".join(str(part) for part in first["loc"]) or exc.title
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}: {first['msg']}{more}"
