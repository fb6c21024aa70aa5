"""Each compatibility rule on a pair of schemas, in each mode.

``compat_cases/<case>/`` holds ``old`` and ``new`` schemas and ``expect.json``: the breaking
changes (path, rule) expected in backward and forward mode, and the Python-only warnings. Full
mode must report exactly the union of the two directions.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pubsub_gen.commands.check_compat.check import compare_documents
from pubsub_gen.commands.check_compat.model import Kind, Mode

CASES = Path(__file__).parent / "compat_cases"
CASE_NAMES = sorted(p.name for p in CASES.iterdir() if p.is_dir())


def _load(case: str) -> tuple[str, Any, Any, dict[str, Any]]:
    folder = CASES / case
    ext = ".avsc" if case.startswith("avro_") else ".json"
    schema_type = "AVRO" if ext == ".avsc" else "JSON_SCHEMA"
    old = json.loads((folder / f"old{ext}").read_text())
    new = json.loads((folder / f"new{ext}").read_text())
    return schema_type, old, new, json.loads((folder / "expect.json").read_text())


def _breaks(case: str, mode: Mode) -> list[tuple[str, str, str]]:
    schema_type, old, new, _ = _load(case)
    found = compare_documents(schema_type, old, new, mode)
    return [(f.path, f.rule, f.direction) for f in found if f.kind is Kind.BREAK]


def test_there_is_a_case_for_each_rule() -> None:
    rules = set()
    for case in CASE_NAMES:
        expect = _load(case)[3]
        rules |= {rule for _, rule in expect["backward"] + expect["forward"] + expect["python"]}
    assert {
        "field-added-without-default",
        "field-removed-without-default",
        "type-changed",
        "enum-symbol-removed",
        "enum-symbol-added",
        "union-branch-added",
        "union-branch-removed",
        "name-changed",
        "fixed-size-changed",
        "logical-type-changed",
        "decimal-scale-changed",
        "decimal-precision-narrowed",
        "required-property-added",
        "required-property-removed",
        "property-added",
        "property-removed",
        "additional-properties-closed",
        "type-narrowed",
        "type-widened",
        "enum-value-removed",
        "enum-value-added",
        "minLength-changed",
        "maxLength-changed",
        "pattern-changed",
        "python-class-renamed",
        "python-attribute-renamed",
        "python-attribute-removed",
    } <= rules


@pytest.mark.parametrize("case", CASE_NAMES)
def test_backward_mode_reports_what_new_readers_cannot_read(case: str) -> None:
    expected = [(path, rule, "backward") for path, rule in _load(case)[3]["backward"]]
    assert sorted(_breaks(case, Mode.BACKWARD)) == sorted(expected)


@pytest.mark.parametrize("case", CASE_NAMES)
def test_forward_mode_reports_what_old_readers_cannot_read(case: str) -> None:
    expected = [(path, rule, "forward") for path, rule in _load(case)[3]["forward"]]
    assert sorted(_breaks(case, Mode.FORWARD)) == sorted(expected)


@pytest.mark.parametrize("case", CASE_NAMES)
def test_full_mode_is_both_directions(case: str) -> None:
    expect = _load(case)[3]
    expected = [(p, r, "backward") for p, r in expect["backward"]]
    expected += [(p, r, "forward") for p, r in expect["forward"]]
    assert sorted(_breaks(case, Mode.FULL)) == sorted(expected)


@pytest.mark.parametrize("case", CASE_NAMES)
@pytest.mark.parametrize("mode", list(Mode))
def test_python_renames_are_warnings_in_every_mode(case: str, mode: Mode) -> None:
    schema_type, old, new, expect = _load(case)
    found = compare_documents(schema_type, old, new, mode)
    warnings = sorted((f.path, f.rule) for f in found if f.kind is Kind.PYTHON)
    assert warnings == sorted((path, rule) for path, rule in expect["python"])
    assert all(
        not f.fails() and f.fails(strict_python=True) for f in found if f.kind is Kind.PYTHON
    )


@pytest.mark.parametrize("case", CASE_NAMES)
def test_a_schema_is_compatible_with_itself(case: str) -> None:
    schema_type, old, new, _ = _load(case)
    for document in (old, new):
        assert compare_documents(schema_type, document, document, Mode.FULL) == []
