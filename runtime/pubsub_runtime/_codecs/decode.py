"""Decoding a received payload with its topic's codec, off the event loop when it is large.

Decoding is CPU work proportional to the payload: a 9 MB message keeps the loop busy for
hundreds of milliseconds, and meanwhile no other message is handled and health checks wait.
Payloads over ``OFFLOAD_DECODE_BYTES`` are decoded in a worker thread (the JSON and Avro
parsers release the GIL for much of the work); smaller ones inline, where a thread hop would
cost more than the decode.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any, Final

from pubsub_runtime._codecs.topic import TopicSpec
from pubsub_runtime._config import TopicCodec

__all__ = ["OFFLOAD_DECODE_BYTES", "decode", "decode_off_loop", "decodes_off_loop"]

OFFLOAD_DECODE_BYTES: Final = 128 * 1024  # about 5 ms of decoding


def decode(
    spec: TopicCodec,
    data: bytes,
    encoding: str | None,
    attributes: Mapping[str, str] | None = None,
) -> Any:
    """The payload of ``data`` in the topic's ``encoding`` (its default when not given).

    A ``TopicSpec`` also gets the message's ``attributes``: they name the schema revision
    that wrote it. Any other codec is called as before.
    """
    if attributes is not None and isinstance(spec, TopicSpec):
        return spec.decode(data, encoding=encoding or None, attributes=attributes)
    if encoding:
        return spec.decode(data, encoding=encoding)
    return spec.decode(data)


def decodes_off_loop(data: bytes) -> bool:
    return len(data) > OFFLOAD_DECODE_BYTES


async def decode_off_loop(
    spec: TopicCodec,
    data: bytes,
    encoding: str | None,
    attributes: Mapping[str, str] | None = None,
) -> Any:
    """``decode`` in a worker thread."""
    return await asyncio.to_thread(decode, spec, data, encoding, attributes)
