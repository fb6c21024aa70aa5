"""Pub/Sub subscription filters (``filter_expression``), evaluated on message attributes.

Two users: the in-memory broker (the emulator stores filters and ignores them, so it is the only
place where a unit test sees a filter at work) and ``replay --filter`` of the dead-letter tools,
which parse the expression, never evaluate it as code. The grammar is Pub/Sub's:
``attributes:KEY`` (has the key), ``attributes.KEY = "v"`` / ``!= "v"``,
``hasPrefix(attributes.KEY, "p")``, ``NOT`` (or ``-``), ``AND``, ``OR`` and parentheses; AND
and OR cannot be mixed without parentheses. A key made of other characters than letters,
digits, ``-`` and ``_`` is written as a string literal.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

__all__ = ["FilterError", "compile_filter"]

Predicate = Callable[[Mapping[str, str]], bool]

_MAX_FILTER_BYTES = 256  # Pub/Sub refuses longer filters
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<op>!=|[=:(),.\-])
      | (?P<word>[A-Za-z0-9_-]+)
    )""",
    re.VERBOSE,
)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", "0": "\0"}


class FilterError(ValueError):
    """A filter expression that Pub/Sub would refuse when creating the subscription."""


def _unquote(literal: str) -> str:
    body = literal[1:-1]
    out: list[str] = []
    i = 0
    while i < len(body):
        char = body[i]
        if char != "\\":
            out.append(char)
            i += 1
            continue
        nxt = body[i + 1]
        if nxt in "uUx":
            width = {"u": 4, "U": 8, "x": 2}[nxt]
            out.append(chr(int(body[i + 2 : i + 2 + width], 16)))
            i += 2 + width
        else:
            out.append(_ESCAPES.get(nxt, nxt))
            i += 2
    return "".join(out)


def _tokenize(expression: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = expression.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise FilterError(f"unexpected character at {pos} in filter {expression!r}")
        kind = match.lastgroup
        assert kind is not None
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    return tokens


class _Parser:
    def __init__(self, expression: str) -> None:
        self.expression = expression
        self.tokens = _tokenize(expression)
        self.pos = 0

    def fail(self, what: str) -> FilterError:
        where = self.tokens[self.pos][1] if self.pos < len(self.tokens) else "the end"
        return FilterError(f"filter {self.expression!r}: {what}, found {where!r}")

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, value: str) -> bool:
        token = self.peek()
        if token is not None and token[1] == value and token[0] != "string":
            self.pos += 1
            return True
        return False

    def expect(self, value: str) -> None:
        if not self.take(value):
            raise self.fail(f"expected {value!r}")

    def parse(self) -> Predicate:
        predicate = self.expression_()
        if self.pos != len(self.tokens):
            raise self.fail("expected AND, OR or the end")
        return predicate

    def expression_(self) -> Predicate:
        terms = [self.term()]
        joiner: str | None = None
        while (token := self.peek()) is not None and token[0] == "word":
            if token[1] not in ("AND", "OR"):
                break
            if joiner is not None and token[1] != joiner:
                raise self.fail("AND and OR cannot be mixed without parentheses")
            joiner = token[1]
            self.pos += 1
            terms.append(self.term())
        if len(terms) == 1:
            return terms[0]
        if joiner == "AND":
            return lambda attrs: all(term(attrs) for term in terms)
        return lambda attrs: any(term(attrs) for term in terms)

    def term(self) -> Predicate:
        if self.take("NOT") or self.take("-"):
            inner = self.term()
            return lambda attrs: not inner(attrs)
        if self.take("("):
            inner = self.expression_()
            self.expect(")")
            return inner
        if self.take("hasPrefix"):
            self.expect("(")
            key = self.attribute_key(".")
            self.expect(",")
            prefix = self.string()
            self.expect(")")
            return lambda attrs: key in attrs and attrs[key].startswith(prefix)
        if self.take("attributes"):
            if self.take(":"):
                key = self.key()
                return lambda attrs: key in attrs
            self.expect(".")
            key = self.key()
            if self.take("="):
                value = self.string()
                return lambda attrs: attrs.get(key) == value
            if self.take("!="):
                value = self.string()
                return lambda attrs: attrs.get(key) != value
            raise self.fail("expected '=' or '!=' after an attribute")
        raise self.fail("expected a condition on attributes")

    def attribute_key(self, separator: str) -> str:
        self.expect("attributes")
        self.expect(separator)
        return self.key()

    def key(self) -> str:
        token = self.peek()
        if token is None or token[0] not in ("word", "string"):
            raise self.fail("expected an attribute key")
        self.pos += 1
        return _unquote(token[1]) if token[0] == "string" else token[1]

    def string(self) -> str:
        token = self.peek()
        if token is None or token[0] != "string":
            raise self.fail("expected a string literal in double quotes")
        self.pos += 1
        return _unquote(token[1])


def compile_filter(expression: str) -> Predicate:
    """A predicate on a message's attributes; ``FilterError`` when Pub/Sub would refuse it."""
    if len(expression.encode()) > _MAX_FILTER_BYTES:
        raise FilterError(f"a filter is at most {_MAX_FILTER_BYTES} bytes: {expression!r}")
    if not expression.strip():
        return lambda attrs: True
    return _Parser(expression).parse()
