"""Safe Python literals for text that comes from a schema.

Schema text (docs, names, symbols, defaults) only ever reaches generated code through these
functions: ``ascii()`` escapes every quote, backslash, newline and non-ASCII character, so the
text stays data whatever it holds. Long text is split into implicitly concatenated pieces so
formatted lines stay short.
"""

from __future__ import annotations

import re

_PIECE = re.compile(r"\S*\s*")
MAX_PIECE = 72


def py_str(text: str) -> str:
    """A Python expression equal to ``text``: one literal, or parenthesized pieces."""
    whole = ascii(text)
    if len(whole) <= MAX_PIECE:
        return whole
    pieces: list[str] = []
    current = ""
    for word in _PIECE.findall(text):
        for chunk in _split_long(word):
            if current and len(ascii(current + chunk)) > MAX_PIECE:
                pieces.append(ascii(current))
                current = ""
            current += chunk
    if current:
        pieces.append(ascii(current))
    return "(" + " ".join(pieces) + ")"


def _split_long(word: str) -> list[str]:
    """A word too long for one piece, cut where its escaped form reaches the limit."""
    chunks: list[str] = []
    current = ""
    for char in word:
        if current and len(ascii(current + char)) > MAX_PIECE:
            chunks.append(current)
            current = ""
        current += char
    return [*chunks, current] if current else chunks


def py_doc(text: str | None) -> str | None:
    """A docstring literal for ``text``: stripped, since formatters strip docstring edges."""
    if text is None or not text.strip():
        return None
    return py_str(text.strip())
