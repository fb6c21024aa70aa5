"""Work a run reuses or hands off: formatted sources, the JSON models batch, the worker process."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest
from gen_support import generate, record, tree, write_schemas

from pubsub_gen import format as formatting
from pubsub_gen import pipeline
from pubsub_gen import worker as jsonworker
from pubsub_gen.errors import SchemaError
from pubsub_gen.load import jsonmodels as loader


def _order(title: str, **extra: Any) -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": title,
        "type": "object",
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "status": {"enum": ["new", "paid"]},
            "lines": {"type": "array", "items": {"$ref": "#/$defs/Line"}},
        },
        "$defs": {"Line": {"type": "object", "properties": {"sku": {"type": "string"}}}},
        "required": ["id"],
        **extra,
    }


def _schemas(folder: Path) -> Path:
    return write_schemas(
        folder,
        {
            "alpha.avsc": record("Alpha", {"name": "a", "type": "int"}),
            "beta.avsc": record("Beta", {"name": "b", "type": "string"}),
            "order_placed.json": _order("OrderPlaced"),
            "order_paid.json": _order("OrderPaid", description="Paid."),
        },
    )


@pytest.fixture
def formatted_paths(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files ruff formats from now on (relative paths)."""
    seen: list[str] = []
    real = formatting.format_tree

    def spy(root: Path, threads: int | None = None) -> None:
        seen.extend(sorted(p.relative_to(root).as_posix() for p in root.rglob("*.py")))
        real(root, threads)

    monkeypatch.setattr(formatting, "format_tree", spy)
    return seen


def test_only_changed_sources_go_through_ruff(tmp_path: Path, formatted_paths: list[str]) -> None:
    schemas, out = _schemas(tmp_path / "schemas"), tmp_path / "out"
    generate(schemas, out)
    assert "events/handlers/alpha.py" in formatted_paths, "a first run formats everything"
    formatted_paths.clear()
    write_schemas(schemas, {"beta.avsc": record("Beta", {"name": "b", "type": "string"}, doc="B")})
    result = generate(schemas, out)
    assert [p.name for p in result.written] == ["beta.py"]
    # alpha.py comes from the cache; the user's existing handlers and tests are never formatted.
    assert formatted_paths == ["events/beta.py"]
    expected = tmp_path / "expected"
    generate(schemas, expected, cache=False)
    assert tree(out) == tree(expected)


def test_an_avro_change_reuses_the_json_models(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    schemas, out = _schemas(tmp_path / "schemas"), tmp_path / "out"
    generate(schemas, out)
    calls: list[int] = []
    real = loader.jsonschema_models

    def counted(inputs: Any) -> Any:
        calls.append(len(inputs))
        return real(inputs)

    monkeypatch.setattr(loader, "jsonschema_models", counted)
    write_schemas(schemas, {"alpha.avsc": record("Alpha", {"name": "a", "type": "long"})})
    assert [p.name for p in generate(schemas, out).written] == ["alpha.py"]
    assert calls == []
    write_schemas(schemas, {"order_paid.json": _order("OrderPaid", description="Settled.")})
    assert "order_paid.py" in {p.name for p in generate(schemas, out).written}
    assert calls == [2], "a JSON Schema change renders the whole batch again"


def _in_process(schemas: Path, out: Path) -> dict[str, bytes]:
    generate(schemas, out, cache=False)
    return tree(out)


def test_the_worker_renders_what_the_process_renders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    schemas = _schemas(tmp_path / "schemas")
    expected = _in_process(schemas, tmp_path / "expected")
    monkeypatch.setattr(pipeline, "worker_pays_off", lambda config: True)

    def refuse(inputs: Any) -> Any:
        raise AssertionError("rendered in-process")

    monkeypatch.setattr(loader, "jsonschema_models", refuse)
    generate(schemas, tmp_path / "out", cache=False)
    assert tree(tmp_path / "out") == expected


def test_a_worker_that_cannot_run_falls_back_to_the_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    schemas = _schemas(tmp_path / "schemas")
    monkeypatch.setattr(pipeline, "worker_pays_off", lambda config: False)
    expected = _in_process(schemas, tmp_path / "expected")
    monkeypatch.setattr(pipeline, "worker_pays_off", lambda config: True)
    for executable in (str(tmp_path / "no-such-python"), "/bin/false"):
        monkeypatch.setattr(sys, "executable", executable)
        out = tmp_path / Path(executable).name
        generate(schemas, out, cache=False)
        assert tree(out) == expected


@pytest.mark.parametrize("pays_off", [True, False])
def test_the_run_takes_the_worker_the_command_started(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pays_off: bool
) -> None:
    schemas = _schemas(tmp_path / "schemas")
    expected = _in_process(schemas, tmp_path / "expected")
    made: list[jsonworker.Worker] = []

    class Counted(jsonworker.Worker):
        def __init__(self, *, fork: bool = False) -> None:
            super().__init__(fork=fork)
            made.append(self)

    monkeypatch.setattr(jsonworker, "Worker", Counted)
    monkeypatch.setattr(pipeline, "worker_pays_off", lambda config: pays_off)
    jsonworker.prestart()
    generate(schemas, tmp_path / "out", cache=False)
    assert jsonworker.take() is None, "taken by the run"
    assert len(made) == 1 and made[0].answered == pays_off
    assert not made[0]._folder.exists(), "closed"
    assert tree(tmp_path / "out") == expected


def _problems(error: pytest.ExceptionInfo[SchemaError]) -> list[str]:
    return [str(problem) for problem in error.value.problems]


@pytest.mark.parametrize(
    "document",
    [
        # Found by the models batch: a definition takes the payload model's name.
        _order("Line"),
        # Found by the metaschema only (after the worker got its inputs).
        _order("OrderPlaced", deprecated="yes"),
        # Found by the loader's own checks.
        _order("OrderPlaced", required="id"),
    ],
    ids=["batch", "metaschema", "loader"],
)
def test_the_worker_reports_problems_like_the_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, document: dict[str, Any]
) -> None:
    schemas = _schemas(tmp_path / "schemas")
    write_schemas(schemas, {"order_placed.json": document})
    with pytest.raises(SchemaError) as in_process:
        generate(schemas, tmp_path / "a", cache=False)
    monkeypatch.setattr(pipeline, "worker_pays_off", lambda config: True)
    with pytest.raises(SchemaError) as in_worker:
        generate(schemas, tmp_path / "b")
    assert _problems(in_worker) == _problems(in_process) != []
    assert not (tmp_path / "b").exists(), "nothing written"


@pytest.mark.parametrize(
    "fork",
    [
        False,
        pytest.param(
            True, marks=pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork here")
        ),
    ],
    ids=["started", "forked"],
)
def test_the_worker_answers_exactly_what_render_jsonschema_models_returns(
    tmp_path: Path, fork: bool
) -> None:
    inputs = [
        loader.JsonSchemaInput(key, tmp_path / f"{key}.json", f"schemas/{key}.json", doc, title)
        for key, doc, title in (
            ("order_placed", _order("OrderPlaced"), "OrderPlaced"),
            ("order_paid", _order("OrderPaid"), "OrderPaid"),
        )
    ]
    with jsonworker.Worker(fork=fork) as worker:
        worker.submit(inputs)
        answer = worker.result()
        assert worker.answered
    assert answer == loader.jsonschema_models(inputs)
    assert jsonworker.decode(jsonworker.encode(answer)) == answer


def test_the_models_batch_falls_back_to_the_usual_temporary_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inputs = [
        loader.JsonSchemaInput(key, tmp_path / f"{key}.json", f"schemas/{key}.json", doc, title)
        for key, doc, title in (
            ("order_placed", _order("OrderPlaced"), "OrderPlaced"),
            ("order_paid", _order("OrderPaid"), "OrderPaid"),
        )
    ]
    expected = loader.jsonschema_models(inputs)
    # A memory folder that cannot be written (here: one that is not there).
    monkeypatch.setattr(loader, "memory_folder", lambda: str(tmp_path / "no-such-folder"))
    assert loader.jsonschema_models(inputs) == expected
