"""Problems found in the input schemas, reported one per line as ``path[:pointer]: message``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class SchemaProblem:
    """One problem in one schema file; ``pointer`` is a JSON pointer or field path inside it."""

    path: Path
    pointer: str
    message: str

    def __str__(self) -> str:
        # One line per problem, whatever the pointer (a property name) or the message holds.
        pointer = self.pointer.encode("unicode_escape").decode("ascii")
        where = f"{self.path}:{pointer}" if pointer else str(self.path)
        return f"{where}: {' '.join(self.message.split())}"


class SchemaError(Exception):
    """Raised when any schema is invalid; nothing is written when it is."""

    def __init__(self, problems: Iterable[SchemaProblem]) -> None:
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def json_pointer(*parts: str | int) -> str:
    """A JSON pointer (RFC 6901) to a place inside a schema document."""
    escaped = (str(p).replace("~", "~0").replace("/", "~1") for p in parts)
    return "".join("/" + p for p in escaped)


class SchemaWarning(UserWarning):
    """Something in a schema that is used in a documented, weaker way (``path:pointer: ...``)."""


class SampleNote(UserWarning):
    """A sample message pubsub-gen could not build (the generated tests then skip until
    ``samples_by_hand.py`` provides one); the CLI prints it as a note."""
