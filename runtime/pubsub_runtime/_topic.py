"""PLACEHOLDER: TopicSpec and codecs (being written)."""

from __future__ import annotations

from typing import Any


class TopicSpec:  # placeholder
    def __init__(self, **kwargs: Any) -> None:
        raise NotImplementedError


class Duration:  # placeholder
    pass
