"""Sample expressions as trees, rendered within the nesting Python's parser accepts.

CPython refuses source with more than 200 nested brackets ("too many nested parentheses"), and
a sample of a deeply nested schema nests as deep as the schema. A sample is therefore built as a
tree of ``Nested`` brackets; rendering it assigns every movable subtree that reaches
``MAX_NESTING`` levels to a variable of its own (innermost first). Subtrees that cannot move
(lists and dicts given to typed parameters) nest at most one bracket per level of the schema
file, which loading bounds (``load.discover.MAX_DEPTH``) well under the parser's limit.
Samples of ordinary schemas nest far less and render as one expression, as before.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pubsub_gen import naming
from pubsub_gen.render.literals import py_str

MAX_NESTING = 50  # brackets in one statement: well under the parser's 200


@dataclass(frozen=True)
class Nested:
    """``open`` + the parts, each ``prefix`` + a subtree, joined with ", " + ``close``.

    ``movable``: whether it may become a variable of its own. A list or dict passed to a typed
    parameter may not: in a variable its inferred type (``list[int]``) would not match the
    parameter's (``list[int | None]``) for mypy, where the literal in place does.
    """

    open: str
    parts: Sequence[tuple[str, Expr]]
    close: str
    movable: bool = True
    depth: int = field(init=False)

    def __post_init__(self) -> None:
        inner = max((depth_of(e) for _, e in self.parts), default=0)
        object.__setattr__(self, "depth", inner + 1)


Expr = str | Nested


def depth_of(expr: Expr) -> int:
    return expr.depth if isinstance(expr, Nested) else 0


def call(function: str, *args: Expr, **keywords: Expr) -> Nested:
    """``function(args..., name=value...)``."""
    parts = [("", a) for a in args] + [(f"{k}=", v) for k, v in keywords.items()]
    return Nested(f"{function}(", parts, ")")


@dataclass(frozen=True)
class Rendered:
    statements: tuple[str, ...]  # ``name = expression`` lines that come first
    expression: str


def render(expr: Expr, taken: set[str], limit: int = MAX_NESTING) -> Rendered:
    """``expr`` as statements and a final expression: each movable subtree that nests
    ``limit`` levels becomes a variable, named apart from ``taken`` (the names the expression
    refers to; the new names are added to it)."""
    statements: list[str] = []

    def text(e: Expr) -> tuple[str, int]:
        """(source, depth) of ``e``, with the subtrees that got too deep moved out."""
        if isinstance(e, str):
            return e, 0
        parts = [(prefix, *text(sub)) for prefix, sub in e.parts]
        source = e.open + ", ".join(prefix + s for prefix, s, _ in parts) + e.close
        depth = max((d for _, _, d in parts), default=0) + 1
        if depth >= limit and e.movable:
            name = naming.sample_part(len(statements) + 1, taken)
            statements.append(f"{name} = {source}")
            return name, 0
        return source, depth

    if depth_of(expr) < limit:  # the usual case: no walk through the tree at all
        return Rendered((), flat_text(expr))
    # Recursion as deep as the schema: loading refuses documents deeper than that allows.
    source, _ = text(expr)
    return Rendered(tuple(statements), source)


def flat_text(expr: Expr) -> str:
    """``expr`` as one expression."""
    if isinstance(expr, str):
        return expr
    return expr.open + ", ".join(p + flat_text(e) for p, e in expr.parts) + expr.close


def json_value(value: Any) -> Expr:
    """A tree equal to a JSON value (strings through ``py_str``: data only)."""
    if isinstance(value, list):
        return Nested("[", [("", json_value(v)) for v in value], "]")
    if isinstance(value, Mapping):
        return Nested("{", [(f"{py_str(str(k))}: ", json_value(v)) for k, v in value.items()], "}")
    # Imported here: samples_json brings in jsonschema, which an Avro-only run never needs.
    from pubsub_gen.render.samples_json import py_literal

    return py_literal(value)
