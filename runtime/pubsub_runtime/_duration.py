"""``Duration``: the Avro ``duration`` logical type as a value (months, days, milliseconds).

Its own module so that ``TopicSpec`` and the Avro codecs can both use it without importing
each other.
"""

from __future__ import annotations

import datetime as dt
import struct
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["Duration"]

_U32_MAX = 2**32 - 1
_DURATION = struct.Struct("<III")


class Duration(BaseModel):
    """An Avro ``duration``: months, days and milliseconds, kept apart and lossless.

    A month has no fixed length, so this is not a ``timedelta``; ``to_timedelta()`` converts
    when ``months`` is 0. As a field type it also accepts a ``timedelta`` (whole milliseconds).
    """

    model_config = ConfigDict(frozen=True)

    months: int = Field(default=0, ge=0, le=_U32_MAX)
    days: int = Field(default=0, ge=0, le=_U32_MAX)
    milliseconds: int = Field(default=0, ge=0, le=_U32_MAX)

    @model_validator(mode="before")
    @classmethod
    def _accept_timedelta(cls, value: Any) -> Any:
        if isinstance(value, dt.timedelta):
            return _timedelta_parts(value)
        return value

    @classmethod
    def from_timedelta(cls, value: dt.timedelta) -> Duration:
        """The duration of ``value`` as days and milliseconds (no months).

        Raises ``ValueError`` for a negative value or one with sub-millisecond precision,
        which an Avro duration cannot hold.
        """
        return cls(**_timedelta_parts(value))

    def to_timedelta(self) -> dt.timedelta:
        """This duration as a ``timedelta``; ``ValueError`` when it counts months."""
        if self.months:
            raise ValueError("a duration with months has no fixed length; it is not a timedelta")
        return dt.timedelta(days=self.days, milliseconds=self.milliseconds)

    def to_bytes(self) -> bytes:
        """The Avro wire form: three unsigned 32-bit little-endian integers (fixed 12)."""
        return _DURATION.pack(self.months, self.days, self.milliseconds)

    @classmethod
    def from_bytes(cls, data: bytes) -> Duration:
        """Read the Avro wire form written by ``to_bytes``."""
        if len(data) != _DURATION.size:
            raise ValueError(f"an Avro duration is 12 bytes, got {len(data)}")
        months, days, milliseconds = _DURATION.unpack(data)
        return cls(months=months, days=days, milliseconds=milliseconds)


def _timedelta_parts(value: dt.timedelta) -> dict[str, int]:
    if value < dt.timedelta(0):
        raise ValueError("an Avro duration cannot be negative")
    if value.microseconds % 1000:
        raise ValueError("an Avro duration has millisecond precision; this timedelta has less")
    return {
        "months": 0,
        "days": value.days,
        "milliseconds": value.seconds * 1000 + value.microseconds // 1000,
    }
