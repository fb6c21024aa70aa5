"""Fuzzing the generator with random valid JSON Schema documents.

Every drawn folder of schemas must generate a package that imports (every module but the test
skeletons), passes ``ruff check`` with the project's settings (one call for the whole run), and
whose TopicSpecs decode random instances valid against the schema, encode them to JSON the
schema accepts, and decode that back to an equal model; the generated sample of each topic
round-trips too.
"""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path
from typing import Any

import jsonschema
from fuzz_strategies import fuzz_settings, import_all, imported_strictly, json_schemas, ruff_check
from gen_support import REPO, generate, write_schemas
from hypothesis import given
from hypothesis import strategies as st

from pubsub_runtime import TopicSpec

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "120"))
INSTANCES = 4  # random instances per topic


def validator(document: dict[str, Any]) -> jsonschema.protocols.Validator:
    cls = jsonschema.validators.validator_for(document)
    return cls(document)  # type: ignore[no-any-return]


def round_trip(spec: TopicSpec[Any], instance: Any) -> None:
    check = validator(json.loads(spec.definition))
    check.validate(instance)  # the strategy's own promise
    model = spec.decode(json.dumps(instance).encode())
    assert isinstance(model, spec.model)
    encoded = spec.encode(model)
    check.validate(json.loads(encoded))
    assert spec.decode(encoded) == model


def samples_round_trip(modules: list[Any], specs: list[TopicSpec[Any]]) -> None:
    """The generated ``sample_<topic>()`` builds a message its schema accepts."""
    (samples,) = [m for m in modules if m.__name__.endswith(".samples")]
    for name in dir(samples):
        if name.startswith("sample_"):
            message = getattr(samples, name)()
            [spec] = [s for s in specs if isinstance(message, s.model)]
            encoded = spec.encode(message)
            validator(json.loads(spec.definition)).validate(json.loads(encoded))
            assert spec.decode(encoded) == message, name


def test_random_json_schemas_generate_code_that_imports_lints_and_round_trips(
    tmp_path: Path,
) -> None:
    folders: list[Path] = []
    cases = itertools.count()
    totals = {"examples": 0, "schemas": 0, "instances": 0}

    @fuzz_settings(EXAMPLES)
    @given(cases_=st.lists(json_schemas(), min_size=1, max_size=2), data=st.data())
    def check(cases_: list[tuple[dict[str, Any], st.SearchStrategy[Any]]], data: Any) -> None:
        case = next(cases)
        root = tmp_path / f"case{case}"
        stems = [f"topic_{case}_{i}" for i in range(len(cases_))]
        files = {f"{s}.json": json.dumps(c[0]) for s, c in zip(stems, cases_, strict=True)}
        schemas = write_schemas(root / "schemas", files)
        # Payload models of different topics must not share a name: configuration renames.
        topics = {stem: {"model": f"Payload{i}"} for i, stem in enumerate(stems)}
        package = f"fuzz_json_{case}"
        generate(schemas, root / "out", package=package, topics=topics)
        with imported_strictly(root / "out", package) as generated:
            modules = import_all(generated)
            specs = list(generated.TOPICS.values())
            assert len(specs) == len(cases_)
            for spec in specs:
                document, instances = cases_[stems.index(spec.name)]
                assert json.loads(spec.definition) == document
                for instance in data.draw(st.lists(instances, min_size=1, max_size=INSTANCES)):
                    round_trip(spec, instance)
                    totals["instances"] += 1
            samples_round_trip(modules, specs)
        folders.append(root / "out")
        totals["examples"] += 1
        totals["schemas"] += len(cases_)

    check()
    ruff_check(folders, REPO / "pyproject.toml")
    print(f"\nJSON Schema fuzz: {totals}")
