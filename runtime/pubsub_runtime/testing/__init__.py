"""Testing helpers: the real Pub/Sub emulator (launcher and pytest plugin)."""

from __future__ import annotations

from pubsub_runtime.testing._emulator import Emulator, EmulatorError, find_emulator, start_emulator

__all__ = ["Emulator", "EmulatorError", "find_emulator", "start_emulator"]
