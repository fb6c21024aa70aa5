"""The in-memory wire: what the broker is plugged into instead of Pub/Sub, and Pub/Sub's checks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Final

from google.api_core.exceptions import InvalidArgument

from pubsub_runtime._attributes import CLIENT_PREFIX, MAX_VALUE_BYTES, RESERVED_PREFIX

__all__ = ["MemoryWire", "check_message", "publish_time_text", "raw_bytes"]

PublishFunction = Callable[[str, bytes, Mapping[str, str] | None, str | None], str]

# Pub/Sub's limits on a published message; the in-memory wire refuses what Pub/Sub would.
_MAX_MESSAGE_BYTES: Final = 10 * 1000 * 1000
_MAX_ATTRIBUTES: Final = 100
_MAX_KEY_BYTES: Final = 256
_MAX_ORDERING_KEY_BYTES: Final = 1024


def publish_time_text(when: datetime) -> str:
    """Pub/Sub's form of a timestamp in dead-letter attributes: ``2024-05-01T12:30:00.123Z``."""
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


class MemoryWire:
    """The broker's ``Wire`` while a ``TestBroker`` is active: publishes land in the test broker,
    and the broker's start and stop are the test broker's."""

    def __init__(
        self,
        publish: PublishFunction,
        start: Callable[[], Awaitable[None]],
        stop: Callable[[], Awaitable[None]],
    ) -> None:
        self._publish = publish
        self._start = start
        self._stop = stop

    async def start(self) -> None:
        await self._start()

    async def stop(self) -> None:
        await self._stop()

    async def publish(
        self,
        topic: str,
        data: bytes,
        attributes: Mapping[str, str] | None,
        ordering_key: str | None,
        /,
    ) -> str:
        return self._publish(topic, data, attributes, ordering_key)


def raw_bytes(data: bytes | str, method: str) -> bytes:
    if isinstance(data, str):
        return data.encode()
    if isinstance(data, bytes | bytearray | memoryview):
        return bytes(data)
    raise TypeError(
        f"TestBroker.{method} takes raw bytes or str, not {type(data).__name__}: publish a "
        "model with broker.publish(...) or a generated publisher, which use the topic's codec"
    )


def check_message(
    topic: str, data: bytes, attributes: dict[str, str], key: str, *, received: bool = False
) -> None:
    """Refuse what Pub/Sub (or the client's protobuf) would refuse.

    ``received``: the message stands for one Pub/Sub delivers, which may carry the ``goog``
    attributes Pub/Sub itself adds (``googclient_schemaencoding``).
    """
    for name, value in attributes.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise TypeError(
                f"attribute {name!r}: Pub/Sub attributes are str to str, got "
                f"{type(name).__name__} to {type(value).__name__}"
            )
    problems = []
    if not data and not attributes:
        problems.append("a message needs data or at least one attribute")
    if len(attributes) > _MAX_ATTRIBUTES:
        problems.append(f"at most {_MAX_ATTRIBUTES} attributes, got {len(attributes)}")
    for name, value in attributes.items():
        # Client libraries may set googclient_* (trace context); other goog* keys are Pub/Sub's.
        if name.startswith(RESERVED_PREFIX) and not name.startswith(CLIENT_PREFIX) and not received:
            problems.append(f"attribute {name!r}: keys starting with 'goog' are reserved")
        if len(name.encode()) > _MAX_KEY_BYTES:
            problems.append(f"attribute key {name[:40]!r}... is over {_MAX_KEY_BYTES} bytes")
        if len(value.encode()) > MAX_VALUE_BYTES:
            problems.append(f"attribute {name!r}: value over {MAX_VALUE_BYTES} bytes")
    if len(key.encode()) > _MAX_ORDERING_KEY_BYTES:
        problems.append(f"ordering key over {_MAX_ORDERING_KEY_BYTES} bytes")
    size = len(data) + sum(len(k.encode()) + len(v.encode()) for k, v in attributes.items())
    if size > _MAX_MESSAGE_BYTES:
        problems.append(f"message of {size} bytes, over Pub/Sub's {_MAX_MESSAGE_BYTES}")
    if problems:
        raise InvalidArgument(  # type: ignore[no-untyped-call]
            f"publish to {topic} refused: " + "; ".join(problems)
        )
