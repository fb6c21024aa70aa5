"""The in-memory Pub/Sub of ``TestBroker``: a transport the broker plugs into for unit tests.

``broker`` is ``TestBroker`` (entering, routing, waiting, records), ``delivery`` one
subscription's queue and policy (each attempt goes through the runtime's one ``deliver``),
``wire`` the publisher that stands in for the real one and Pub/Sub's checks, ``records`` what
is recorded.
"""

from __future__ import annotations

from pubsub_runtime.testing._memory.broker import TestBroker
from pubsub_runtime.testing._memory.records import Delivery, Outcome, PublishedMessage

__all__ = ["Delivery", "Outcome", "PublishedMessage", "TestBroker"]
