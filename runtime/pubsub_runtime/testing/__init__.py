"""Testing helpers: an in-memory broker for unit tests, and the real Pub/Sub emulator
(launcher and pytest plugin) for integration tests.

The in-memory names load on first use, so that the pytest plugin, which every test session
of an installation loads, imports only the emulator launcher.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from pubsub_runtime.testing._emulator import Emulator, EmulatorError, find_emulator, start_emulator

if TYPE_CHECKING:
    from pubsub_runtime._filter import FilterError
    from pubsub_runtime.testing._memory import Delivery, Outcome, PublishedMessage, TestBroker
    from pubsub_runtime.testing._samples import SampleMissing, sample_by_hand

__all__ = [
    "Delivery",
    "Emulator",
    "EmulatorError",
    "FilterError",
    "Outcome",
    "PublishedMessage",
    "SampleMissing",
    "TestBroker",
    "find_emulator",
    "sample_by_hand",
    "start_emulator",
]

_LAZY = {
    "TestBroker": "pubsub_runtime.testing._memory",
    "FilterError": "pubsub_runtime._filter",
    "Delivery": "pubsub_runtime.testing._memory",
    "Outcome": "pubsub_runtime.testing._memory",
    "PublishedMessage": "pubsub_runtime.testing._memory",
    "SampleMissing": "pubsub_runtime.testing._samples",
    "sample_by_hand": "pubsub_runtime.testing._samples",
}


if not TYPE_CHECKING:  # for mypy, the names above are the module's whole namespace

    def __getattr__(name: str) -> Any:
        module = _LAZY.get(name)
        if module is None:
            raise AttributeError(f"module 'pubsub_runtime.testing' has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        globals()[name] = value
        return value
