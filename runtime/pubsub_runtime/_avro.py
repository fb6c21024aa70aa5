"""The name pubsub-gen imports ``for_fastavro`` by; the Avro codecs live in ``_codecs``."""

from __future__ import annotations

from pubsub_runtime._codecs.avro import for_fastavro

__all__ = ["for_fastavro"]
