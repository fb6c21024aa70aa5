"""Fuzzing the generator with broken schemas: mutations of random valid ones.

Dangling references, duplicate fields, bad symbols, wrong types, truncated JSON... must all end
in ``SchemaError``, never another exception: every problem on one line, naming the broken file
(a valid file beside it is never blamed), and nothing written.
"""

from __future__ import annotations

import collections
import itertools
import json
import os
from pathlib import Path
from typing import Any

import pytest
from fuzz_strategies import avro_schemas, broken_avro, broken_json, fuzz_settings, json_schemas
from gen_support import generate, write_schemas
from hypothesis import given
from hypothesis import strategies as st

from pubsub_gen import SchemaError

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "150"))


def check_problems(root: Path, broken_name: str, files: dict[str, str]) -> list[str]:
    """Generate ``files``; the run must fail cleanly, blaming only ``broken_name``."""
    schemas = write_schemas(root / "schemas", files)
    with pytest.raises(SchemaError) as caught:
        generate(schemas, root / "out", package="broken")
    problems = caught.value.problems
    assert problems
    lines = [str(problem) for problem in problems]
    for problem, line in zip(problems, lines, strict=True):
        assert "\n" not in line and "\r" not in line, line
        assert problem.path.name == broken_name, line
        assert line.startswith(f"{problem.path}"), line
        assert "Traceback" not in line
    assert str(caught.value).splitlines() == lines
    assert not (root / "out").exists(), "nothing is written when a schema is invalid"
    return lines


@pytest.mark.parametrize("kind", ["avro", "json"])
def test_broken_schemas_fail_with_one_line_problems_naming_the_file(
    tmp_path: Path, kind: str
) -> None:
    cases = itertools.count()
    mutations: collections.Counter[str] = collections.Counter()
    broken = broken_avro() if kind == "avro" else broken_json()
    valid = avro_schemas() if kind == "avro" else json_schemas().map(lambda case: case[0])
    suffix = ".avsc" if kind == "avro" else ".json"

    @fuzz_settings(EXAMPLES)
    @given(broken=broken, sibling=st.none() | valid)
    def check(broken: tuple[str, str], sibling: Any) -> None:
        text, mutation = broken
        root = tmp_path / f"case{next(cases)}"
        files = {f"broken_topic{suffix}": text}
        if sibling is not None:
            files[f"valid_topic{suffix}"] = json.dumps(sibling)
        check_problems(root, f"broken_topic{suffix}", files)
        mutations[mutation] += 1

    check()
    print(f"\nbroken {kind} schemas by mutation: {dict(sorted(mutations.items()))}")
    assert len(mutations) >= 5  # the mutations are spread, not one kind over and over
