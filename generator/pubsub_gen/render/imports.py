"""The import block of a generated module, already in the order ruff's isort rules want.

``format.py`` runs only ``ruff format``, which does not sort imports, so the block is rendered
here exactly as ``ruff check --select=I`` with the pinned settings would leave it: sections
``__future__``, standard library, third party (``pubsub_runtime``, ``pydantic``, ...), then the
generated package's relative imports, one blank line apart; inside a section ``import x`` lines
before ``from x import`` lines, modules in case-insensitive natural order (relative: furthest
first), names constants first, then classes, then the rest; an ``as`` alias on a line of its own.
A test runs ``ruff check --fix`` on the golden output and fails if it changes anything.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable

from pubsub_gen.format import LINE_LENGTH

# (module, name): ``from module import name``; name None: ``import module``. Either may carry an
# alias (``x as y``); a relative module starts with ".".
Import = tuple[str, str | None]
_DIGITS = re.compile(r"(\d+)")
_Natural = tuple[tuple[int, int | str], ...]
_Key = tuple[int, _Natural, str]


def natural(text: str) -> _Natural:
    """A key ordering digit runs by their value (``a2`` before ``a10``)."""
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part) for part in _DIGITS.split(text) if part
    )


def member_key(name: str) -> _Key:
    """isort's order of names (also RUF022's of ``__all__``): CONSTANTS, Classes, the rest."""
    kind = 0 if len(name) > 1 and name.isupper() else 1 if name[:1].isupper() else 2
    return kind, natural(name.lower()), name


def _section(module: str) -> int:
    if module == "__future__":
        return 0
    if module.startswith("."):
        return 3
    return 1 if module.split()[0].partition(".")[0] in sys.stdlib_module_names else 2


def _module_key(module: str) -> _Key:
    rest = module.lstrip(".")
    return -(len(module) - len(rest)), natural(rest.lower()), rest


def _from_line(module: str, names: list[str]) -> str:
    line = f"from {module} import {', '.join(names)}"
    if len(line) <= LINE_LENGTH:
        return line
    return "\n".join([f"from {module} import (", *(f"    {n}," for n in names), ")"])


def import_lines(imports: Iterable[Import]) -> list[str]:
    """The import block of ``imports``: lines, an empty one between sections."""
    sections: dict[int, tuple[set[str], dict[str, set[str]]]] = {}
    for module, name in imports:
        plain, froms = sections.setdefault(_section(module), (set(), {}))
        if name is None:
            plain.add(module)
        else:
            froms.setdefault(module, set()).add(name)
    blocks: list[list[str]] = []
    for _, (plain, froms) in sorted(sections.items()):
        block = [f"import {m}" for m in sorted(plain, key=lambda m: _module_key(m.split()[0]))]
        statements: list[tuple[tuple[_Key, _Key], str]] = []
        for module, names in froms.items():
            combined = sorted((n for n in names if " as " not in n), key=member_key)
            aliased = [[n] for n in names if " as " in n]
            for group in ([combined] if combined else []) + aliased:
                key = (_module_key(module), member_key(group[0].split()[0]))
                statements.append((key, _from_line(module, group)))
        block += [line for _, line in sorted(statements)]
        blocks.append(block)
    lines: list[str] = []
    for block in blocks:
        lines += [*([""] if lines else []), *block]
    return lines
