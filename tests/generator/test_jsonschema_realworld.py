"""Real-world JSON Schemas (``../shared/realworld/``, nobody on the project wrote them).

Every one generates, the tests pubsub-gen writes for it pass, and its sample validates
against the original schema; the exceptions, with their reasons, are in
``realworld_jsonschema_exceptions.json`` and must still be refused (so the list stays true).

All topics go into one package (a run per file would take minutes). Two payload models are
called ``Event`` (Sentry's and Mozilla's telemetry event), so Sentry's is renamed through the
documented per-topic setting, as a user with both would.
"""

from __future__ import annotations

import importlib
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from gen_support import generate, imported
from shared_corpus import shared_path

from pubsub_gen.errors import SchemaError

EXCEPTIONS = json.loads(
    Path(__file__).with_name("realworld_jsonschema_exceptions.json").read_text(encoding="utf-8")
)
RENAMED = {"sentry_event": {"model": "SentryEvent"}}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = shared_path("realworld")
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    entries = {e["name"]: root / e["file"] for e in manifest["entries"] if e["kind"] == "json"}
    assert entries, "the manifest lists no JSON Schema"
    work = tmp_path_factory.mktemp("realworld")
    schemas = work / "schemas"
    schemas.mkdir()
    for name, path in entries.items():
        shutil.copyfile(path, schemas / f"{name}.json")  # a temporary folder, not the repository
    return {"entries": entries, "schemas": schemas, "work": work}


def test_the_exceptions_are_refused_with_a_reason(corpus: dict[str, Any]) -> None:
    with pytest.raises(SchemaError) as raised:
        generate(corpus["schemas"], corpus["work"] / "all", package="everything", topics=RENAMED)
    refused = {Path(str(problem.path)).stem for problem in raised.value.problems}
    assert refused == set(EXCEPTIONS), str(raised.value)


@pytest.fixture(scope="module")
def package(corpus: dict[str, Any]) -> Path:
    for name in EXCEPTIONS:
        (corpus["schemas"] / f"{name}.json").unlink(missing_ok=True)
    out = corpus["work"] / "out"
    generate(corpus["schemas"], out, package="realworld", topics=RENAMED)
    return out


def test_every_other_schema_generates(corpus: dict[str, Any], package: Path) -> None:
    expected = set(corpus["entries"]) - set(EXCEPTIONS)
    with imported(package, "realworld") as module:
        assert set(module.TOPICS) == expected


def test_the_generated_tests_pass(package: Path) -> None:
    options = ["-o", "asyncio_mode=auto", "-o", "asyncio_default_fixture_loop_scope=function"]
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *options, "realworld"],
        cwd=package,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


def test_every_sample_validates_against_the_original_schema(
    corpus: dict[str, Any], package: Path
) -> None:
    with imported(package, "realworld") as module:
        samples = importlib.import_module(f"{module.__name__}.samples")
        for name, spec in module.TOPICS.items():
            original = json.loads(corpus["entries"][name].read_text(encoding="utf-8"))
            payload = json.loads(spec.encode(getattr(samples, f"sample_{name}")()))
            # python-jsonschema, not the runtime's validator: a second, independent judge
            cls = jsonschema.validators.validator_for(
                original, default=jsonschema.Draft202012Validator
            )
            cls(original, format_checker=cls.FORMAT_CHECKER).validate(payload)
