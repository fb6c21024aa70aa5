"""The no-op check: a run with nothing changed stops early, and every change still counts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from gen_support import generate, record, tree, write_schemas

import pubsub_gen
from pubsub_gen import pipeline
from pubsub_gen.cli import main
from pubsub_gen.commands import cache as caching
from pubsub_gen.config import load_config

CACHE = caching.CACHE_DIR
JSON_ORDER = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {"id": {"type": "string"}, "total": {"type": "number", "minimum": 0}},
    "required": ["id"],
}


def _schemas(folder: Path) -> Path:
    return write_schemas(
        folder,
        {
            "alpha.avsc": record("Alpha", {"name": "a", "type": "int"}),
            "beta.avsc": record("Beta", {"name": "b", "type": "string"}),
            "order_placed.json": JSON_ORDER,
        },
    )


def _fresh(schemas: Path, out: Path, **options: Any) -> dict[str, bytes]:
    """What a run without any cache produces into an empty folder."""
    generate(schemas, out, cache=False, **options)
    return tree(out)


def _summary(result: pubsub_gen.GenerateResult) -> tuple[Any, ...]:
    return (
        result.written,
        result.unchanged,
        result.removed,
        result.stale,
        result.diff,
        result.files,
        result.user_files,
    )


def test_a_no_op_run_answers_like_a_full_comparison(tmp_path: Path) -> None:
    schemas, out = _schemas(tmp_path / "schemas"), tmp_path / "out"
    generate(schemas, out)
    assert (out / CACHE / "events.manifest.json").is_file()
    fast = generate(schemas, out)
    slow = generate(schemas, out, cache=False)
    assert _summary(fast) == _summary(slow)
    assert fast.written == () and len(fast.unchanged) == len(fast.files) + len(fast.user_files)
    for mode in ({"check": True}, {"diff": True}):
        assert _summary(generate(schemas, out, **mode)) == _summary(
            generate(schemas, out, cache=False, **mode)
        )


def test_a_no_op_run_stops_before_importing_the_renderer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # both runs find the revision lock file in the same folder
    schemas, out = _schemas(tmp_path / "schemas"), tmp_path / "out"
    first = generate(schemas, out)
    script = (
        "import json, sys, pubsub_gen\n"
        f"result = pubsub_gen.generate({str(schemas)!r}, {str(out)!r}, package='events')\n"
        "heavy = ['jinja2', 'datamodel_code_generator', 'pydantic', 'fastavro', 'jsonschema',\n"
        "         'pubsub_gen.render', 'pubsub_gen.load.project']\n"
        "print(json.dumps({'written': len(result.written), 'unchanged': len(result.unchanged),\n"
        "                  'imported': [m for m in heavy if m in sys.modules]}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    answer = json.loads(done.stdout)
    assert answer == {
        "written": 0,
        "unchanged": len(first.files) + len(first.user_files),
        "imported": [],
    }


def test_the_version_command_imports_no_pipeline() -> None:
    script = (
        "import sys, pubsub_gen.cli\n"
        "heavy = ['jinja2', 'datamodel_code_generator', 'pydantic', 'fastavro', 'jsonschema']\n"
        "print([m for m in heavy if m in sys.modules])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"


def _command(launcher: str, args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """``pubsub-gen ARGS`` through ``launcher`` (``pubsub_gen.launch``, the console command, or
    ``pubsub_gen.cli``, click's group alone), with the imported modules of note on stdout."""
    script = (
        "import os, sys\n"
        "def report():\n"
        "    heavy = ['click', 'pubsub_gen.pipeline', 'pubsub_gen.load.project', 'jinja2']\n"
        "    print('imported:', [m for m in heavy if m in sys.modules], flush=True)\n"
        "real_exit = os._exit\n"
        "def report_and_exit(code):\n"  # the launcher ends a generation with os._exit
        "    report()\n"
        "    real_exit(code)\n"
        "os._exit = report_and_exit\n"
        f"sys.argv = ['pubsub-gen', *{args!r}]\n"
        f"from {launcher} import main\n"
        "try:\n"
        "    main()\n"
        "finally:\n"
        "    report()\n"
    )
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, cwd=cwd
    )


def test_the_console_command_answers_a_no_op_before_importing_click(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    schemas, out = _schemas(tmp_path / "schemas"), tmp_path / "out"
    first = generate(schemas, out)
    count = len(first.files) + len(first.user_files)
    for args in (
        [str(schemas), "--out", str(out)],
        ["generate", "--out=out", "--encoding", "JSON", "--package", "events", "schemas"],
    ):
        done = _command("pubsub_gen.launch", args, tmp_path)
        assert (done.returncode, done.stderr) == (0, "")
        assert done.stdout.splitlines() == [f"{count} files up to date", "imported: []"]


@pytest.mark.parametrize(
    "args",
    [
        ["schemas", "--out", "out"],  # a no-op
        ["schemas", "--out", "out", "--check"],
        ["schemas", "--out", "out", "--package", "other"],  # a real run (into another package)
        ["schemas", "--out", "out", "--package", "not-a-name"],
        ["schemas", "--out", "out", "--encoding", "xml"],
        ["schemas", "--out", "out", "--out", "elsewhere"],
        ["schemas", "schemas"],
        ["missing", "--out", "out"],
        ["schemas", "--out", "out/events/__init__.py"],
        ["schemas", "--out", "fresh"],  # a first run
        ["schemas", "--out"],
        ["--version"],
        ["generate", "--help"],
    ],
)
def test_the_console_command_answers_like_click(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    answers = []
    for launcher in ("pubsub_gen.launch", "pubsub_gen.cli"):
        base = tmp_path / launcher  # the same project for each, as the last run left it
        monkeypatch.chdir(_schemas(base / "schemas").parent)
        generate(base / "schemas", base / "out")
        done = _command(launcher, args, base)
        stdout = "\n".join(line for line in done.stdout.splitlines() if "imported:" not in line)
        answers.append(
            (
                done.returncode,
                stdout.replace(str(base), "BASE"),
                done.stderr.replace(str(base), "BASE"),
            )
        )
    assert answers[0] == answers[1]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], (None, {})),
        (["generate"], (None, {})),
        (["s", "--out", "o"], ("s", {"--out": "o"})),
        (["s", "--out", "new"], ("s", {"--out": "new"})),  # a folder still to make
        (["s", "--out", "file"], None),
        (["missing"], None),
        (["--package=p", "s"], ("s", {"--package": "p"})),
        (["s", "--check"], None),
        (["s", "--no-cache"], None),
        (["s", "--diff"], None),
        (["s", "t"], None),
        (["s", "--out"], None),
        (["s", "--out", "--package"], None),
        (["s", "--package", "a", "--package", "b"], None),
        (["s", "--encoding", "xml"], None),
        (["-h"], None),
        (["asyncapi"], None),
    ],
)
def test_the_console_command_takes_only_a_plain_generation(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    expected: tuple[str | None, dict[str, str]] | None,
) -> None:
    from pubsub_gen import launch

    monkeypatch.chdir(tmp_path)
    (tmp_path / "s").mkdir()
    (tmp_path / "o").mkdir()
    (tmp_path / "file").write_text("")
    assert launch._plain_generate(args) == expected


def test_the_cache_lists_the_schema_files_the_loader_finds(tmp_path: Path) -> None:
    from pubsub_gen.load.discover import find_schema_files

    root = tmp_path / "schemas"
    for name in (
        "a.avsc",
        "b.json",
        "notes.txt",
        "x.JSON",
        ".hidden.json",
        "sub/c.json",
        "sub/deep/d.avsc",
        "sub/.git/e.json",
        ".cache/f.json",
        "g.json/inside.json",  # a folder named like a schema
    ):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("{}")
    (root / "linked").symlink_to(root / "sub", target_is_directory=True)  # not entered
    (root / "alias.json").symlink_to(root / "b.json")
    (root / "broken.avsc").symlink_to(root / "nowhere.avsc")
    listed = [name for name, _ in caching.schema_files(str(root))]
    assert listed == [p.relative_to(root).as_posix() for p in find_schema_files(root)]
    assert listed == [
        *("a.avsc", "alias.json", "b.json", "g.json/inside.json"),
        *("sub/c.json", "sub/deep/d.avsc"),
    ]


@pytest.mark.parametrize(
    "change",
    ["edit generated", "delete generated", "delete user file", "add obsolete module"],
)
def test_changed_outputs_are_repaired(tmp_path: Path, change: str) -> None:
    schemas, out = _schemas(tmp_path / "schemas"), tmp_path / "out"
    expected = _fresh(schemas, tmp_path / "expected")
    generate(schemas, out)
    package = out / "events"
    target = {
        "edit generated": package / "alpha.py",
        "delete generated": package / "order_placed.py",
        "delete user file": package / "handlers" / "beta.py",
        "add obsolete module": package / "gone.py",
    }[change]
    if change == "edit generated":
        target.write_text(target.read_text().replace("class Alpha(", "class Edited("))
    elif change == "add obsolete module":
        target.write_text("# Code generated by pubsub-gen 0.0.1 from x. DO NOT EDIT.\n")
    else:
        target.unlink()
    stale = generate(schemas, out, check=True).stale
    assert (
        stale
        == {
            "edit generated": (f"stale: {target}",),
            "delete generated": (f"missing: {target}",),
            "delete user file": (),  # the user's files are never stale
            "add obsolete module": (f"obsolete: {target}",),
        }[change]
    )
    result = generate(schemas, out)
    if change == "add obsolete module":
        assert (result.written, result.removed) == ((), (target,))
    else:
        assert (result.written, result.removed) == ((target,), ())
    assert tree(out) == expected
    assert generate(schemas, out).written == ()


def test_changed_inputs_regenerate(tmp_path: Path) -> None:
    schemas, out = _schemas(tmp_path / "schemas"), tmp_path / "out"
    generate(schemas, out)
    write_schemas(schemas, {"beta.avsc": record("Beta", {"name": "b", "type": "long"})})
    assert "beta.py" in {p.name for p in generate(schemas, out).written}
    document = {**JSON_ORDER, "description": "An order."}
    write_schemas(schemas, {"order_placed.json": document})
    assert "order_placed.py" in {p.name for p in generate(schemas, out).written}
    write_schemas(schemas, {"gamma.avsc": record("Gamma", {"name": "g", "type": "int"})})
    assert "gamma.py" in {p.name for p in generate(schemas, out).written}
    (schemas / "alpha.avsc").unlink()
    assert generate(schemas, out).removed == (out / "events" / "alpha.py",)
    # The user's files (handlers, tests) stay as first written; the tool's are as fresh.
    fresh = generate(schemas, tmp_path / "expected", cache=False)
    produced = tree(out)
    for path in fresh.files:
        name = path.relative_to(tmp_path / "expected").as_posix()
        assert produced.pop(name) == path.read_bytes(), name
    modules = {name for name in produced if name.count("/") == 1}
    assert modules == {"events/app.py", "events/broker.py"}, "no generated module left over"


def test_settings_and_the_generator_version_are_part_of_the_key(tmp_path: Path) -> None:
    schemas, out = _schemas(tmp_path / "schemas"), tmp_path / "out"
    generate(schemas, out)
    binary = generate(schemas, out, encoding="binary")
    assert {p.name for p in binary.written} >= {"alpha.py", "beta.py"}
    assert tree(out) == _fresh(schemas, tmp_path / "expected", encoding="binary")
    config = load_config(schemas, out=out, package="events", encoding="binary")
    keys = caching.inputs_keys(config, pubsub_gen.__version__)
    assert caching.inputs_keys(config, "9.9.9") != keys, "another release renders afresh"
    # ... and rewrites nothing when it renders the same code: the header carries no version.
    bumped = pipeline.run(config, version="9.9.9")
    assert bumped.written == () and (out / "events" / "alpha.py") in bumped.unchanged
    assert tree(out) == _fresh(schemas, tmp_path / "expected", encoding="binary")


def test_the_cache_folder_ignores_itself_and_can_be_turned_off(tmp_path: Path) -> None:
    schemas = _schemas(tmp_path / "schemas")
    generate(schemas, tmp_path / "cached")
    ignore = (tmp_path / "cached" / CACHE / ".gitignore").read_text()
    assert "*" in ignore.splitlines()
    generate(schemas, tmp_path / "plain", cache=False)
    generate(schemas, tmp_path / "checked", check=True)
    assert not (tmp_path / "plain" / CACHE).exists()
    assert not (tmp_path / "checked").exists(), "--check writes nothing, not even a cache"


def test_a_damaged_cache_is_ignored(tmp_path: Path) -> None:
    schemas, out = _schemas(tmp_path / "schemas"), tmp_path / "out"
    generate(schemas, out)
    (out / "events" / "alpha.py").unlink()
    for path in (out / CACHE).iterdir():
        if path.suffix == ".json":
            path.write_text('{"key": 1, "files": [[1]], "entries": [], "models": 3')
    assert [p.name for p in generate(schemas, out).written] == ["alpha.py"]
    assert tree(out) == _fresh(schemas, tmp_path / "expected")


def test_the_key_covers_the_generator_and_its_libraries(tmp_path: Path) -> None:
    root = Path(pubsub_gen.__file__).parent
    own = {path.relative_to(root).as_posix() for path in caching._own_files(root)}
    assert {"pipeline.py", "render/templates/topic.py.jinja", "load/jsonschema.py"} <= own
    key = caching.libraries_key()
    for library in ("jinja2", "datamodel_code_generator", "pydantic", "ruff"):
        assert f"{library}:" in key and f"{library}:absent" not in key
    assert caching._library("no_such_module_here") == "no_such_module_here:absent"
    schemas = _schemas(tmp_path / "schemas")
    config = load_config(schemas, out=tmp_path / "out", package="events")
    keys = caching.inputs_keys(config, "1")
    write_schemas(schemas, {"beta.avsc": record("Beta", {"name": "b", "type": "long"})})
    changed = caching.inputs_keys(config, "1")
    assert changed.output != keys.output
    assert changed.json_models == keys.json_models, "Avro edits leave the JSON models' key"
    assert caching.inputs_keys(config, "2").json_models != keys.json_models


def test_the_command_reports_a_no_op_and_honours_no_cache(tmp_path: Path) -> None:
    schemas = _schemas(tmp_path / "schemas")

    def run(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(main, [str(schemas), "--package", "events", *args])
        return result.exit_code, result.stdout

    code, first = run("--out", str(tmp_path / "out"))
    assert code == 0 and "wrote" in first and "pubsub-gen.lock" in first
    count = first.count("wrote ") - 1  # the revision lock file is not in the output folder
    assert run("--out", str(tmp_path / "out")) == (0, f"{count} files up to date\n")
    assert run("--out", str(tmp_path / "out"), "--check") == (0, f"{count} files up to date\n")
    code, plain = run("--out", str(tmp_path / "plain"), "--no-cache")
    assert (code, plain.count("wrote ")) == (0, count)
    assert not (tmp_path / "plain" / CACHE).exists()
