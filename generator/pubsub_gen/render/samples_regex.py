"""A string that a regular expression (a JSON Schema ``pattern``) finds, for sample messages.

Walks the expression as Python's own parser reads it: literals as they are, a character set's
first member, a repeat its minimum (or more, to reach a minimum length), a group's first branch.
"""

from __future__ import annotations

import re
from typing import Any


class NoMatch(Exception):
    """No string of the wanted length was found for the pattern."""


def matching(pattern: str, low: int, high: int, variant: int) -> str:
    """A string ``re.search(pattern, ...)`` finds, ``low <= len <= high`` characters long."""
    try:
        compiled = re.compile(pattern)
        parsed = re._parser.parse(pattern)  # type: ignore[attr-defined]
    except (re.error, AttributeError) as exc:
        raise NoMatch(f"pattern {pattern!r}") from exc
    for extra in range(0, 64):
        try:
            text = _Regex(extra + variant).emit(parsed.data)
        except NoMatch:
            break
        if low <= len(text) <= high and compiled.search(text):
            return text
        if len(text) > high:
            break
    raise NoMatch(f"no string of {low}..{high} characters matches {pattern!r}")


class _Regex:
    """Emits a string a parsed regular expression matches: ``extra`` more of each repeat."""

    def __init__(self, extra: int) -> None:
        self._extra = extra
        self._groups: dict[int, str] = {}

    def emit(self, items: Any) -> str:
        return "".join(self._one(op, value) for op, value in items)

    def _one(self, op: Any, value: Any) -> str:
        name = str(op)
        if name == "LITERAL":
            return chr(value)
        if name == "NOT_LITERAL":
            return "a" if value != ord("a") else "b"
        if name == "ANY":
            return "a"
        if name in ("IN", "CATEGORY"):
            return _in_set(value if name == "IN" else [(op, value)])
        if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, items = value
            count = low + self._extra if high >= low + self._extra else high
            return "".join(self.emit(items) for _ in range(count))
        if name == "SUBPATTERN":
            group, _add, _del, items = value
            text = self.emit(items)
            if group is not None:
                self._groups[group] = text
            return text
        if name == "ATOMIC_GROUP":
            return self.emit(value)
        if name == "BRANCH":
            return self.emit(value[1][0])
        if name == "GROUPREF":
            return self._groups.get(value, "")
        if name in ("AT", "ASSERT", "ASSERT_NOT"):
            return ""
        raise NoMatch(f"regular expression construct {name}")


_CATEGORY_CHARS = {
    "CATEGORY_DIGIT": "0",
    "CATEGORY_NOT_DIGIT": "a",
    "CATEGORY_SPACE": " ",
    "CATEGORY_NOT_SPACE": "a",
    "CATEGORY_WORD": "a",
    "CATEGORY_NOT_WORD": "-",
}


def _in_set(items: Any) -> str:
    if items and str(items[0][0]) == "NEGATE":
        members = items[1:]
        for candidate in "a0xZ_-. ":
            if not _in_set_contains(members, candidate):
                return candidate
        raise NoMatch("a negated character set")
    op, value = items[0]
    name = str(op)
    if name == "LITERAL":
        return chr(value)
    if name == "RANGE":
        return chr(value[0])
    if name == "CATEGORY":
        return _CATEGORY_CHARS.get(str(value), "a")
    raise NoMatch(f"character set item {name}")


def _in_set_contains(items: Any, char: str) -> bool:
    code = ord(char)
    for op, value in items:
        name = str(op)
        if (name == "LITERAL" and value == code) or (
            name == "RANGE" and value[0] <= code <= value[1]
        ):
            return True
        if name == "CATEGORY" and re.fullmatch(_category_pattern(str(value)), char):
            return True
    return False


def _category_pattern(category: str) -> str:
    return {
        "CATEGORY_DIGIT": r"\d",
        "CATEGORY_NOT_DIGIT": r"\D",
        "CATEGORY_SPACE": r"\s",
        "CATEGORY_NOT_SPACE": r"\S",
        "CATEGORY_WORD": r"\w",
        "CATEGORY_NOT_WORD": r"\W",
    }.get(category, r"[^\s\S]")
