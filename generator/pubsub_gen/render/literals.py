"""Safe Python literals for text that comes from a schema.

Schema text (docs, names, symbols, defaults) only ever reaches generated code through these
functions: ``ascii()`` escapes every quote, backslash, newline and non-ASCII character, so the
text stays data whatever it holds. Long text is split into implicitly concatenated pieces so
formatted lines stay short. Whole schemas are the exception (``py_schema``): indented JSON in a
raw string, where ``json.dumps`` has already escaped what ``ascii()`` would.
"""

from __future__ import annotations

import json
import re
import textwrap

_PIECE = re.compile(r"\S*\s*")
MAX_PIECE = 72
MAX_DOCSTRING = 88  # a one-line docstring inside a class still fits in 100 columns
MAX_JSON_LINE = 88  # a line of schema text, indentation included
MAX_LINE = 100  # of generated code


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


def py_str_argument(text: str) -> str:
    """``py_str`` as the only argument of a call, whose parentheses already group the pieces
    (wrapping them again is ruff's UP034)."""
    literal = py_str(text)
    return literal[1:-1] if literal.startswith("(") else literal


def _split_long(word: str) -> list[str]:
    """A word too long for one piece, cut where its escaped form reaches the limit."""
    if not word:
        return []
    if len(ascii(word)) <= MAX_PIECE:  # no prefix's escaped form is longer than the word's
        return [word]
    chunks: list[str] = []
    current = ""
    for char in word:
        if current and len(ascii(current + char)) > MAX_PIECE:
            chunks.append(current)
            current = ""
        current += char
    return [*chunks, current] if current else chunks


def py_doc(text: str | None) -> str | None:
    """The docstring statement of a class documented by ``text`` (None when there is none).

    The text is escaped (quotes, backslashes, line breaks, non-ASCII) so it stays data. Short
    text is a one-line docstring; longer text is wrapped at spaces into a multi-line docstring
    (only whitespace changes); text with words too long to wrap is assigned to ``__doc__``
    as a literal instead, since formatters rejoin the pieces of a docstring.
    """
    if text is None or not text.strip():
        return None
    body = _docstring_escape(text.strip())
    if len(body) <= MAX_DOCSTRING:
        return f'"""{body}"""'
    lines = textwrap.wrap(body, width=MAX_PIECE, break_long_words=False, break_on_hyphens=False)
    if all(len(line) <= MAX_DOCSTRING for line in lines):
        return '"""' + "\n".join(lines) + '\n"""'
    return f"__doc__ = {py_str(text.strip())}"


def docstring_text(text: str) -> str:
    """``text`` made safe inside a triple-quoted docstring (escapes only; no quotes added)."""
    return _docstring_escape(text)


def _docstring_escape(text: str) -> str:
    """``text`` as the body of a triple-quoted string: printable ASCII, escapes for the rest."""
    if text.isascii() and text.isprintable() and "\\" not in text and '"' not in text:
        return text  # the usual text: nothing to escape
    return "".join(_escape_char(char) for char in text)


def _escape_char(char: str) -> str:
    if char in '\\"':
        return "\\" + char
    if " " <= char <= "~":
        return char
    return ascii(char)[1:-1]  # \n, \x00, \u2028, \U0001f600...


def py_text(text: str | None) -> str | None:
    """A literal of the stripped ``text`` (a description), or None when there is none."""
    if text is None or not text.strip():
        return None
    return py_str(text.strip())


def py_schema(definition: str) -> str:
    """Schema text as a readable literal: indented JSON in a raw triple-quoted string.

    The value is the same schema (equal as parsed JSON), not the same text: every reader parses
    it. ``json.dumps`` escapes non-ASCII and control characters and every quote inside a
    string, so no three quotes can end the literal early and a raw string keeps each escape as
    written. A schema that is one JSON string (Avro ``"string"``), or has a line too long for
    the generated code (a long doc, deep nesting), stays the literal of ``py_str``.
    """
    try:
        indented = json_text(json.loads(definition))
    except ValueError:
        return py_str(definition)
    too_long = any(len(line) > MAX_LINE for line in indented.splitlines())
    if too_long or indented.startswith('"') or '"""' in indented:
        return py_str(definition)
    return f'r"""{indented}"""'


def json_text(value: object, indent: str = "") -> str:
    """``value`` as JSON (ASCII), each container on one line when it fits ``MAX_JSON_LINE``
    columns, else one member per line, indented by two spaces."""
    flat = json.dumps(value)
    if len(indent) + len(flat) <= MAX_JSON_LINE or not isinstance(value, dict | list) or not value:
        return flat
    inner = indent + "  "
    if isinstance(value, dict):
        members = [f"{json.dumps(k)}: {json_text(v, inner)}" for k, v in value.items()]
        opening, closing = "{", "}"
    else:
        members = [json_text(v, inner) for v in value]
        opening, closing = "[", "]"
    body = ",\n".join(inner + member for member in members)
    return f"{opening}\n{body}\n{indent}{closing}"
