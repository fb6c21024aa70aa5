"""The sample a generated test needs when pubsub-gen could not build one from the schema."""

from __future__ import annotations

import importlib
from typing import Any


class SampleMissing(NotImplementedError):
    """No sample message for a topic: the schema defeated pubsub-gen's sample builder and
    ``samples_by_hand.py`` of the generated package does not provide one.

    The pytest plugin of ``pubsub_runtime.testing`` turns it into a skip with this message.
    """


def sample_by_hand(package: str, function: str) -> Any:
    """What ``function()`` of ``<package>.samples_by_hand`` returns; None when it is absent."""
    try:
        module = importlib.import_module(f"{package}.samples_by_hand")
    except ModuleNotFoundError as exc:
        if exc.name != f"{package}.samples_by_hand":
            raise  # the user's module itself imports something missing
        return None
    build = getattr(module, function, None)
    return build() if callable(build) else None
