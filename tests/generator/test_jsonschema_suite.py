"""The official JSON-Schema-Test-Suite decides whether generated JSON Schema topics are right.

Draft 2020-12 and draft 7 (every required keyword file, and ``optional/format/`` for email,
date-time, date, uuid and uri), read in place from ``../shared/conformance/``. Each group's
schema is generated as a topic in two shapes (see ``jsonschema_suite``); every test's data is
decoded with the generated ``TopicSpec``, the verdict compared with the suite's, and every valid
instance encoded again and compared with what came in.

Refusals are recorded in ``jsonschema_suite_refusals.json`` (group and reason); a change shows
up as a failure. ``PUBSUB_GEN_RECORD_REFUSALS=1`` rewrites the record after a reviewed change.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from jsonschema_suite import SUITE, Outcome, groups, run_shape
from shared_corpus import shared_path

RECORD = Path(__file__).with_name("jsonschema_suite_refusals.json")
SHAPES = ("root", "property")


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    suite = shared_path(*SUITE)
    found = groups(suite)
    work = tmp_path_factory.mktemp("jsonschema_suite")
    results = {shape: run_shape(found, shape, work) for shape in SHAPES}
    for outcome in results.values():
        print(outcome.figures())  # shown with -s, and in the closing note of the issue
    return results


def test_no_group_crashes_the_generator(outcomes: dict[str, Outcome]) -> None:
    for outcome in outcomes.values():
        assert outcome.crashed == {}


def test_refusals_are_the_reviewed_ones(outcomes: dict[str, Outcome]) -> None:
    found = {shape: dict(sorted(outcomes[shape].refused.items())) for shape in SHAPES}
    if os.environ.get("PUBSUB_GEN_RECORD_REFUSALS") == "1":
        text = json.dumps(found, indent=1, ensure_ascii=False) + "\n"
        RECORD.write_text(text, encoding="utf-8")
    recorded = json.loads(RECORD.read_text(encoding="utf-8"))
    for shape in SHAPES:
        assert found[shape] == recorded[shape], f"{shape}: refusals differ from {RECORD.name}"


def test_nine_in_ten_groups_generate_as_a_property(outcomes: dict[str, Outcome]) -> None:
    outcome = outcomes["property"]
    total = len(outcome.generated) + len(outcome.refused)
    assert len(outcome.generated) >= 0.9 * total, outcome.figures()


@pytest.mark.parametrize("shape", SHAPES)
def test_decode_agrees_with_the_suite(outcomes: dict[str, Outcome], shape: str) -> None:
    outcome = outcomes[shape]
    assert outcome.tests > 2000, outcome.figures()
    assert outcome.agreed >= 0.99 * outcome.tests, "\n".join(outcome.disagreements[:20])


@pytest.mark.parametrize("shape", SHAPES)
def test_every_valid_instance_round_trips_without_loss(
    outcomes: dict[str, Outcome], shape: str
) -> None:
    outcome = outcomes[shape]
    assert outcome.round_trips > 1000, outcome.figures()
    assert outcome.losses == [], "\n".join(outcome.losses[:20])
