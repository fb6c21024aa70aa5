"""The revision lock file: recorded by each run, checked by --check, pruned by forget-revisions,
embedded in the generated TopicSpecs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import fastavro.schema
from click.testing import CliRunner
from gen_support import field, imported, record, write_schemas

import pubsub_gen
from pubsub_gen.cli import main


def _project(root: Path) -> Path:
    (root / "pyproject.toml").write_text(
        '[tool.pubsub-gen]\nschemas = "schemas"\nout = "out"\npackage = "events"\n'
    )
    write_schemas(root / "schemas", {"reading.avsc": _reading("seq")})
    return root


def _reading(*extra: str) -> dict[str, Any]:
    fields = [field("sensor", "string"), *(field(name, "long", default=0) for name in extra)]
    return record("Reading", *fields)


def _lock(root: Path) -> dict[str, Any]:
    return json.loads((root / "pubsub-gen.lock").read_text())  # type: ignore[no-any-return]


def _fingerprint(schema: dict[str, Any]) -> str:
    canonical = fastavro.schema.to_parsing_canonical_form(schema)
    return str(fastavro.schema.fingerprint(canonical, "CRC-64-AVRO"))


def _generate(root: Path, *args: str) -> Any:
    return CliRunner().invoke(main, [*args, str(root / "schemas")])


def test_each_changed_schema_adds_a_revision_and_keeps_the_earlier_ones(tmp_path: Path) -> None:
    root = _project(tmp_path)
    pubsub_gen.generate(root / "schemas")
    (revision,) = _lock(root)["topics"]["reading"]
    assert revision["fingerprint"] == _fingerprint(_reading("seq"))
    assert revision["canonical"] == fastavro.schema.to_parsing_canonical_form(_reading("seq"))
    before = (root / "pubsub-gen.lock").read_bytes()
    pubsub_gen.generate(root / "schemas")
    assert (root / "pubsub-gen.lock").read_bytes() == before  # deterministic, unchanged

    write_schemas(root / "schemas", {"reading.avsc": _reading("unit")})
    pubsub_gen.generate(root / "schemas")
    recorded = _lock(root)["topics"]["reading"]
    assert [r["fingerprint"] for r in recorded] == [
        _fingerprint(_reading("seq")),
        _fingerprint(_reading("unit")),
    ]
    with imported(root / "out", "events") as package:
        spec = package.TOPICS["reading"]
        assert dict(spec.writer_schemas) == {recorded[0]["fingerprint"]: recorded[0]["definition"]}
        assert spec.fingerprint == recorded[1]["fingerprint"]


def test_check_fails_when_the_lock_file_is_stale(tmp_path: Path) -> None:
    root = _project(tmp_path)
    assert _generate(root).exit_code == 0
    assert _generate(root, "--check").exit_code == 0
    (root / "pubsub-gen.lock").unlink()
    result = _generate(root, "--check")
    assert result.exit_code == 1
    assert f"stale: {root / 'pubsub-gen.lock'}" in result.stderr
    assert not (root / "pubsub-gen.lock").exists()  # --check writes nothing


def test_forget_revisions_keeps_the_last_ones(tmp_path: Path) -> None:
    root = _project(tmp_path)
    for extra in ("a", "b", "c"):
        write_schemas(root / "schemas", {"reading.avsc": _reading(extra)})
        pubsub_gen.generate(root / "schemas")
    assert len(_lock(root)["topics"]["reading"]) == 3
    result = CliRunner().invoke(
        main, ["forget-revisions", "--keep-last", "2", str(root / "schemas")]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.count("forgot reading: ") == 1
    kept = _lock(root)["topics"]["reading"]
    assert [r["fingerprint"] for r in kept] == [
        _fingerprint(_reading("b")),
        _fingerprint(_reading("c")),
    ]
    # the generated code is stale until pubsub-gen runs again
    assert _generate(root, "--check").exit_code == 1
    assert _generate(root).exit_code == 0


def test_forget_revisions_older_than_a_registry_revision(tmp_path: Path) -> None:
    root = _project(tmp_path)
    for extra in ("a", "b"):
        write_schemas(root / "schemas", {"reading.avsc": _reading(extra)})
        pubsub_gen.generate(root / "schemas")
    lock = _lock(root)
    for index, revision in enumerate(lock["topics"]["reading"]):
        revision["revision_id"] = f"r{index}"
    (root / "pubsub-gen.lock").write_text(json.dumps(lock, indent=2) + "\n")
    args = ["forget-revisions", "--older-than", "r1", str(root / "schemas")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert [r["revision_id"] for r in _lock(root)["topics"]["reading"]] == ["r1"]
    unknown = CliRunner().invoke(
        main, ["forget-revisions", "--older-than", "nope", str(root / "schemas")]
    )
    assert unknown.exit_code == 2 and "no revision 'nope'" in unknown.stderr


def test_without_a_pyproject_the_lock_goes_in_the_current_folder(
    tmp_path: Path, monkeypatch: Any
) -> None:
    schemas = write_schemas(tmp_path / "schemas", {"reading.avsc": _reading()})
    monkeypatch.chdir(tmp_path)
    pubsub_gen.generate(schemas, tmp_path / "out")
    assert list(_lock(tmp_path)["topics"]) == ["reading"]


def test_json_schema_only_projects_have_no_lock_file(tmp_path: Path, monkeypatch: Any) -> None:
    document = {"type": "object", "properties": {"id": {"type": "string"}}}
    schemas = write_schemas(tmp_path / "schemas", {"doc.json": document})
    monkeypatch.chdir(tmp_path)
    pubsub_gen.generate(schemas, tmp_path / "out")
    assert not (tmp_path / "pubsub-gen.lock").exists()
