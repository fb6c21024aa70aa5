"""``Outcome``: what a delivery ends in, decided by ``_dispatch`` and seen by the observers.

Its own module so that the observer hooks (``_observe``, ``_metrics``, ``_tracing``) can name
it without importing the dispatcher, which calls them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

__all__ = ["ACK", "NACK", "Outcome"]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What to tell Pub/Sub about one delivery: ack, or nack after ``delay`` seconds (0: now).

    ``error`` is what the handler raised (``Retry`` and ``Drop`` too; a ``TimeoutError`` when it
    ran past its timeout), kept for the in-memory broker's records; it takes no part in equality.
    """

    ack: bool
    delay: int = 0
    error: BaseException | None = field(default=None, compare=False, repr=False)


ACK: Final = Outcome(ack=True)
NACK: Final = Outcome(ack=False)
