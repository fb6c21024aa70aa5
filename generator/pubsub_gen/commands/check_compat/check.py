"""Comparing two sets of topics: match them by topic name, run the rules in each direction."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from . import avro_rules, json_rules
from .model import Direction, Finding, Issue, Kind, Mode, PythonNames, TopicSchema

Engine = Callable[..., list[Issue]]
_ENGINES: Mapping[str, Engine] = {"AVRO": avro_rules.check, "JSON_SCHEMA": json_rules.check}


def compare_topic(old: TopicSchema, new: TopicSchema, mode: Mode) -> list[Finding]:
    """Every finding for one topic present on both sides."""
    name = new.name
    if old.schema_type != new.schema_type:
        return [
            Finding(
                name,
                "",
                "schema-type-changed",
                f"schema type changed from {old.schema_type} to {new.schema_type}",
                "topic",
            )
        ]
    findings: list[Finding] = []
    if old.encoding and new.encoding and old.encoding != new.encoding:
        findings.append(
            Finding(
                name,
                "",
                "encoding-changed",
                f"message encoding changed from {old.encoding} to {new.encoding}",
                "topic",
            )
        )
    engine = _ENGINES[new.schema_type]
    directions = mode.directions
    for direction in directions:
        reader, writer = (new, old) if direction.reader_is_new else (old, new)
        for issue in engine(
            reader.document, writer.document, reader_is_new=direction.reader_is_new
        ):
            if issue.kind is Kind.BREAK:
                findings.append(_finding(name, issue, direction.value))
    findings.extend(_python_findings(old, new, engine))
    return findings


def _python_findings(old: TopicSchema, new: TopicSchema, engine: Engine) -> list[Finding]:
    """Renamed or removed generated names; the new schema's aliases say what was renamed."""
    findings: list[Finding] = []
    root_renamed = bool(old.payload_class and new.payload_class) and (
        old.payload_class != new.payload_class
    )
    if root_renamed:
        findings.append(
            Finding(
                new.name,
                "",
                "python-class-renamed",
                f"payload class {old.payload_class} renamed to {new.payload_class}",
                "python",
                Kind.PYTHON,
            )
        )
    if new.schema_type == "AVRO" and old.python_names is not None:
        names = (old.python_names, new.python_names or PythonNames())
        issues = avro_rules.check(new.document, old.document, reader_is_new=True, names=names)
    else:
        issues = engine(new.document, old.document, reader_is_new=True)
    for issue in issues:
        if issue.kind is not Kind.PYTHON:
            continue
        if old.payload_class and issue.path == "" and issue.rule == "python-class-renamed":
            continue  # the payload class is judged by its configured name, above
        findings.append(_finding(new.name, issue, "python"))
    return findings


def _finding(topic: str, issue: Issue, direction: str) -> Finding:
    return Finding(topic, issue.path, issue.rule, issue.message, direction, issue.kind)


def compare(
    old: Mapping[str, TopicSchema], new: Mapping[str, TopicSchema], mode: Mode
) -> list[Finding]:
    """All findings, topics in name order; removed topics break, added topics are noted."""
    findings: list[Finding] = []
    for name in sorted(old.keys() | new.keys()):
        if name not in new:
            findings.append(
                Finding(name, "", "topic-removed", "topic removed", "topic", Kind.BREAK)
            )
        elif name not in old:
            findings.append(Finding(name, "", "topic-added", "topic added", "topic", Kind.INFO))
        else:
            findings.extend(compare_topic(old[name], new[name], mode))
    return findings


def compare_documents(
    schema_type: str, old: Any, new: Any, mode: Mode, topic: str = "topic"
) -> list[Finding]:
    """Compare two parsed schemas of one topic (a convenience for tests and tools)."""
    return compare_topic(
        TopicSchema(topic, schema_type, old, "old"),
        TopicSchema(topic, schema_type, new, "new"),
        mode,
    )


__all__ = ["Direction", "compare", "compare_documents", "compare_topic"]
