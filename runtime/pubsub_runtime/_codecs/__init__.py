"""Codecs: the bytes of a message to its model and back, per topic and wire format.

``TopicSpec`` (``topic``) is what pubsub-gen generates per topic; it compiles, on first use, the
Avro binary (``avro_binary``) or Avro JSON (``avro_json``, ``avro_json_decode``) codec from the
schema graph of ``avro`` (encoders in ``avro_serializer``), or the JSON Schema codec
(``jsonschema``). ``avro_resolve`` reads messages written with another revision of a schema,
``revisions`` fetches revisions the spec does not know from Pub/Sub's registry, and ``decode``
is how the subscribers call a codec (off the event loop for large payloads).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pubsub_runtime._codecs.decode import (
    OFFLOAD_DECODE_BYTES,
    decode,
    decode_off_loop,
    decodes_off_loop,
)
from pubsub_runtime._codecs.topic import TopicSpec

if TYPE_CHECKING:
    from pubsub_runtime._codecs.revisions import (
        RegistryUnavailable,
        RevisionMissing,
        fetch_revision,
    )

__all__ = [
    "OFFLOAD_DECODE_BYTES",
    "RegistryUnavailable",
    "RevisionMissing",
    "TopicSpec",
    "decode",
    "decode_off_loop",
    "decodes_off_loop",
    "fetch_revision",
]


if not TYPE_CHECKING:  # for mypy, the imports above are the module's namespace

    def __getattr__(name: str) -> Any:
        # The registry client of ``revisions`` (google-cloud-pubsub, grpc) is imported when
        # first asked for: the generator, which reads ``avro`` and ``jsonschema``, never is.
        if name in ("RegistryUnavailable", "RevisionMissing", "fetch_revision"):
            from pubsub_runtime._codecs import revisions

            value = getattr(revisions, name)
            globals()[name] = value  # the next lookup is a plain one
            return value
        raise AttributeError(f"module 'pubsub_runtime._codecs' has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted({*globals(), *__all__})
