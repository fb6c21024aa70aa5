"""The name pubsub-gen imports the JSON Schema validator by; the codec lives in ``_codecs``."""

from __future__ import annotations

from pubsub_runtime._codecs.jsonschema import compile_validator, schema_reason

__all__ = ["compile_validator", "schema_reason"]
