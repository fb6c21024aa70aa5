"""``Outcome``: what a delivery ends in, decided by ``_dispatch`` and seen by the observers.

Its own module so that the observer hooks (``_observe``, ``_metrics``, ``_tracing``) can name
it without importing the dispatcher, which calls them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = ["ACK", "NACK", "Outcome"]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What to tell Pub/Sub about one delivery: ack, or nack after ``delay`` seconds (0: now)."""

    ack: bool
    delay: int = 0


ACK: Final = Outcome(ack=True)
NACK: Final = Outcome(ack=False)
