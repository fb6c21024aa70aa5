"""Printing findings: one line each for people, a JSON list for tools."""

from __future__ import annotations

import json
from collections.abc import Sequence

from .model import Finding, Kind, Mode


def _suffix(finding: Finding, strict_python: bool) -> str:
    if finding.kind is Kind.PYTHON:
        return "python" if strict_python else "python, warning"
    if finding.kind is Kind.INFO:
        return "info"
    return finding.direction


def text_lines(findings: Sequence[Finding], *, strict_python: bool = False) -> list[str]:
    """``<topic>: <field.path>: <rule> (<mode>)``: the root of a payload reads ``(root)``."""
    return [
        f"{f.topic}: {f.path or '(root)'}: {f.message} ({_suffix(f, strict_python)})"
        for f in findings
    ]


def json_text(findings: Sequence[Finding], *, mode: Mode, strict_python: bool = False) -> str:
    rows = [
        {
            "topic": f.topic,
            "path": f.path,
            "rule": f.rule,
            "message": f.message,
            "direction": f.direction,
            "mode": mode.value,
            "kind": f.kind.value,
            "fails": f.fails(strict_python),
        }
        for f in findings
    ]
    return json.dumps(rows, indent=2, ensure_ascii=False)


def summary(findings: Sequence[Finding], *, mode: Mode, topics: int, strict_python: bool) -> str:
    failing = [f for f in findings if f.fails(strict_python)]
    warnings = sum(1 for f in findings if f.kind is Kind.PYTHON and not strict_python)
    tail = f", {warnings} Python warning(s)" if warnings else ""
    if not failing:
        return f"check-compat: {topics} topic(s) compatible ({mode.value}){tail}"
    broken = len({f.topic for f in failing})
    return (
        f"check-compat: {len(failing)} breaking change(s) in {broken} of {topics} topic(s) "
        f"({mode.value}){tail}"
    )
