"""``Retry`` and ``Drop``: exceptions a handler raises to choose what happens to its message.

Returning acks and any other exception nacks; these two say more. ``Retry`` nacks, and with a
``delay`` asks Pub/Sub to hold the message back that long (its ack deadline is set to the delay
instead of zero), so a handler that hit a rate limit or a dependency outage does not spin on
immediate redeliveries. Each redelivery counts as an attempt of the dead-letter policy.
``Drop`` acks without handling: for messages a handler recognises as not worth retrying
(duplicates, events about deleted records); it is logged with its reason.
"""

from __future__ import annotations

import math
from typing import Final

__all__ = ["MAX_RETRY_DELAY", "Drop", "Retry"]

MAX_RETRY_DELAY: Final = 600  # Pub/Sub's longest ack deadline, in seconds


class Retry(Exception):
    """Nack the message; with ``delay`` (seconds, at most 600) redelivery waits that long.

    ``raise Retry(delay=30, reason="rate limited")`` inside a handler.
    """

    def __init__(self, delay: float | None = None, reason: str = "") -> None:
        if delay is not None and (math.isnan(delay) or delay < 0):
            raise ValueError(f"Retry delay must be a number of seconds >= 0, got {delay!r}")
        super().__init__(reason or "retry requested")
        self.delay = delay
        self.reason = reason

    @property
    def delay_seconds(self) -> int:
        """The ack deadline that makes Pub/Sub wait ``delay``: whole seconds, 0 to 600."""
        if not self.delay:
            return 0
        return min(math.ceil(self.delay), MAX_RETRY_DELAY)

    def __repr__(self) -> str:
        return f"Retry(delay={self.delay!r}, reason={self.reason!r})"


class Drop(Exception):
    """Ack the message without handling it; ``reason`` goes to the log line.

    ``raise Drop("order already shipped")`` inside a handler.
    """

    def __init__(self, reason: str = "") -> None:
        super().__init__(reason or "dropped by the handler")
        self.reason = reason

    def __repr__(self) -> str:
        return f"Drop(reason={self.reason!r})"
