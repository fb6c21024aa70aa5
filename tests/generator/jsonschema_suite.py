"""The official JSON-Schema-Test-Suite run through generated topics (helpers of the tests).

Each group's schema becomes one topic, in one of two shapes:

- ``root``: the group's schema is the topic's schema;
- ``property``: the topic is an object with one required property ``value`` whose schema is the
  group's (its local references re-pointed below ``/properties/value``).

All groups of a shape go into ONE generated package (one topic per group): a generator run per
group would take an hour. Groups the generator refuses are taken out with the reason it gave,
and the rest generated again.
"""

from __future__ import annotations

import json
import re
import shutil
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gen_support import generate, imported

from pubsub_gen.errors import SchemaError

SUITE = ("conformance", "json-schema-test-suite")
DRAFTS = {
    "draft2020-12": "https://json-schema.org/draft/2020-12/schema",
    "draft7": "http://json-schema.org/draft-07/schema#",
}
FORMATS = ("email", "date-time", "date", "uuid", "uri")
# In format.json of 2020-12 these tests say format is an annotation unless asserted; the
# runtime asserts formats (the optional/format files are the verdicts it follows).
ANNOTATION_ONLY = "is only an annotation by default"


@dataclass
class Group:
    key: str  # module-safe, unique
    source: str  # draft/file.json#index: description
    schema: Any
    tests: list[dict[str, Any]]
    draft_uri: str


@dataclass
class Outcome:
    shape: str
    generated: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)  # source -> reason
    crashed: dict[str, str] = field(default_factory=dict)
    tests: int = 0
    agreed: int = 0
    disagreements: list[str] = field(default_factory=list)
    round_trips: int = 0
    losses: list[str] = field(default_factory=list)
    skipped_annotation_tests: int = 0
    notes: int = 0  # the generator's warnings to the user (e.g. no sample fits a pattern)

    def figures(self) -> str:
        total = len(self.generated) + len(self.refused) + len(self.crashed)
        share = len(self.generated) / total if total else 0.0
        agreement = self.agreed / self.tests if self.tests else 0.0
        return (
            f"{self.shape}: {len(self.generated)}/{total} groups generated ({share:.1%}), "
            f"{len(self.refused)} refused, {len(self.crashed)} crashed; "
            f"agreement {self.agreed}/{self.tests} ({agreement:.2%}); "
            f"round trips {self.round_trips - len(self.losses)}/{self.round_trips} lossless; "
            f"{self.skipped_annotation_tests} format-as-annotation tests left out; "
            f"{self.notes} notes of the generator"
        )


def suite_files(root: Path) -> Iterator[tuple[str, Path]]:
    for draft in DRAFTS:
        folder = root / draft
        for path in sorted(folder.glob("*.json")):
            yield draft, path
        for name in FORMATS:
            path = folder / "optional" / "format" / f"{name}.json"
            if path.exists():
                yield draft, path


def groups(root: Path) -> list[Group]:
    found = []
    for draft, path in suite_files(root):
        relative = path.relative_to(root / draft).as_posix()
        for index, group in enumerate(json.loads(path.read_text(encoding="utf-8"))):
            stem = re.sub(r"[^a-z0-9]+", "_", f"{draft}_{relative[:-5]}".lower())
            found.append(
                Group(
                    key=f"{stem}_{index}",
                    source=f"{draft}/{relative}#{index}: {group['description']}",
                    schema=group["schema"],
                    tests=group["tests"],
                    draft_uri=DRAFTS[draft],
                )
            )
    return found


def _repoint(node: Any, prefix: str) -> Any:
    """A copy of ``node`` with local references ``#...`` moved below ``prefix``; subschemas
    with their own ``$id`` are left alone (their references are relative to that id)."""
    if isinstance(node, list):
        return [_repoint(item, prefix) for item in node]
    if not isinstance(node, dict):
        return node
    if "$id" in node:
        return node
    out = {}
    for key, value in node.items():
        local = isinstance(value, str) and (value == "#" or value.startswith("#/"))
        if key in ("$ref", "$dynamicRef") and local:
            out[key] = "#" + prefix + value[1:]
        elif key in ("enum", "const", "default", "examples"):
            out[key] = value
        else:
            out[key] = _repoint(value, prefix)
    return out


def topic_schema(group: Group, shape: str) -> Any:
    schema = group.schema
    if shape == "root":
        if isinstance(schema, dict) and "$schema" not in schema:
            return {"$schema": group.draft_uri, **schema}
        return schema
    inner = _repoint(schema, "/properties/value")
    if isinstance(inner, dict) and "$id" not in inner:
        inner = {k: v for k, v in inner.items() if k != "$schema"}
    declared = schema.get("$schema") if isinstance(schema, dict) else None
    return {
        "$schema": declared if isinstance(declared, str) else group.draft_uri,
        "type": "object",
        "required": ["value"],
        "properties": {"value": inner},
    }


def json_equal(a: Any, b: Any) -> bool:
    """Equality of JSON data as JSON Schema sees it: 1 == 1.0, but true != 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def _refusals(error: SchemaError, by_file: dict[str, Group]) -> dict[str, str]:
    found: dict[str, str] = {}
    for problem in error.problems:
        stem = Path(str(problem.path)).stem
        group = by_file.get(stem)
        if group is None:
            raise AssertionError(f"a problem outside the suite's files: {problem}") from error
        found.setdefault(group.source, f"{problem.pointer or '/'}: {problem.message}")
    return found


def run_shape(all_groups: list[Group], shape: str, work: Path) -> Outcome:
    outcome = Outcome(shape)
    by_file = {group.key: group for group in all_groups}
    pending = list(all_groups)
    package = f"suite_{shape}"
    for _attempt in range(4):
        schemas = work / f"schemas_{shape}"
        out = work / f"out_{shape}"
        shutil.rmtree(schemas, ignore_errors=True)
        shutil.rmtree(out, ignore_errors=True)
        schemas.mkdir(parents=True)
        for group in pending:
            text = json.dumps(topic_schema(group, shape), ensure_ascii=False)
            (schemas / f"{group.key}.json").write_text(text, encoding="utf-8")
        try:
            # The suite's edge schemas draw hundreds of notes meant for a user (no sample fits
            # a pattern, ...): counted in the figures rather than flooding the test report.
            with warnings.catch_warnings(record=True) as notes:
                warnings.simplefilter("always")
                generate(schemas, out, package=package)
            outcome.notes = len(notes)
        except SchemaError as error:
            refused = _refusals(error, by_file)
            outcome.refused.update(refused)
            pending = [group for group in pending if group.source not in refused]
            continue
        break
    else:
        raise AssertionError(f"{shape}: the generator kept refusing after 4 rounds")
    outcome.generated = [group.source for group in pending]
    with imported(out, package) as module:
        topics = module.TOPICS
        for group in pending:
            spec = topics[group.key]
            for test in group.tests:
                if ANNOTATION_ONLY in test["description"]:
                    outcome.skipped_annotation_tests += 1
                    continue
                _judge(outcome, group, spec, test, shape)
    return outcome


def _judge(outcome: Outcome, group: Group, spec: Any, test: dict[str, Any], shape: str) -> None:
    data = test["data"] if shape == "root" else {"value": test["data"]}
    where = f"{group.source} / {test['description']}"
    outcome.tests += 1
    try:
        decoded = spec.decode(json.dumps(data).encode())
    except Exception as exc:  # DecodeError is the verdict "invalid"
        accepted, reason = False, str(exc)
    else:
        accepted, reason = True, ""
    if accepted == test["valid"]:
        outcome.agreed += 1
    else:
        verdict = "accepted" if accepted else f"rejected ({reason})"
        outcome.disagreements.append(f"{where}: {verdict}, suite says valid={test['valid']}")
    if accepted and test["valid"]:
        outcome.round_trips += 1
        try:
            again = json.loads(spec.encode(decoded))
        except Exception as exc:
            outcome.losses.append(f"{where}: encode failed: {exc}")
            return
        if not json_equal(again, data):
            outcome.losses.append(f"{where}: {json.dumps(data)} came back as {json.dumps(again)}")
