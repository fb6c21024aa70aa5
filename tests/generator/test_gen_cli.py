"""The ``pubsub-gen`` command: defaults, flags, configuration and exit statuses."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from gen_support import record, tree, write_schemas

from pubsub_gen.cli import main

ALPHA = record("Alpha", {"name": "a", "type": "int"})


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder with a schema and a [tool.pubsub-gen] table; the working directory."""
    write_schemas(tmp_path / "schemas", {"alpha.avsc": ALPHA})
    (tmp_path / "pyproject.toml").write_text(
        '[tool.pubsub-gen]\nschemas = "schemas"\nout = "src"\npackage = "svc.events"\n'
    )
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_schemas_argument_alone_generates_with_the_configured_settings(project: Path) -> None:
    code, out, err = run("schemas")
    assert (code, err) == (0, "")
    assert (project / "src" / "svc" / "events" / "alpha.py").is_file()
    assert "wrote" in out


def test_no_argument_uses_the_configured_schemas_folder(project: Path) -> None:
    assert run()[0] == 0
    assert (project / "src" / "svc" / "events" / "__init__.py").is_file()


def test_generate_subcommand_is_the_same_command(project: Path) -> None:
    assert run("generate", "schemas", "--out", "elsewhere", "--package", "pkg")[0] == 0
    assert (project / "elsewhere" / "pkg" / "alpha.py").is_file()


def test_settings_are_found_upward_from_the_schemas_folder(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert run(str(project / "schemas"))[0] == 0
    assert (project / "src" / "svc" / "events" / "alpha.py").is_file()


def test_flags_override_the_configuration(project: Path) -> None:
    assert run("schemas", "--encoding", "binary")[0] == 0
    assert 'encoding="BINARY"' in (project / "src/svc/events/alpha.py").read_text()


def test_per_topic_settings_rename_the_topic_and_encoding(project: Path) -> None:
    with (project / "pyproject.toml").open("a") as stream:
        stream.write('[tool.pubsub-gen.topics.alpha]\ntopic = "alpha-v2"\nencoding = "binary"\n')
    assert run()[0] == 0
    module = (project / "src/svc/events/alpha.py").read_text()
    assert 'name="alpha-v2"' in module and 'encoding="BINARY"' in module
    assert "class AlphaV2Publisher:" in module


def test_check_exits_1_and_lists_stale_files(project: Path) -> None:
    code, _, err = run("--check")
    assert code == 1
    assert f"missing: {project / 'src/svc/events/alpha.py'}" in err
    assert not (project / "src").exists()
    assert run()[0] == 0
    assert run("--check")[0] == 0


def test_diff_prints_unified_diffs_and_exits_1_when_different(project: Path) -> None:
    assert run()[0] == 0
    target = project / "src/svc/events/alpha.py"
    target.write_text(target.read_text().replace("a: int", "a: str"))
    code, out, _ = run("--diff")
    assert code == 1
    assert "-    a: str" in out and "+    a: int" in out
    assert "a: str" in target.read_text()


def test_invalid_schemas_exit_1_one_line_per_problem_and_write_nothing(project: Path) -> None:
    write_schemas(
        project / "schemas",
        {"broken.avsc": '{"type": "record",\n "name": }', "bad.avsc": record("Bad", {"name": "x"})},
    )
    code, out, err = run()
    assert code == 1
    lines = err.splitlines()
    assert lines[0] == "schemas/bad.avsc:/fields/0: the field 'x' needs a \"type\""
    assert lines[1] == "schemas/broken.avsc: malformed JSON at line 2:10: Expecting value"
    assert "Traceback" not in err + out
    assert not (project / "src").exists()


@pytest.mark.parametrize(
    "args",
    [
        ["schemas", "--encoding", "xml"],
        ["no-such-folder"],
        ["schemas", "--no-such-flag"],
        ["schemas", "--package", "not a package"],
    ],
)
def test_usage_errors_exit_2(project: Path, args: list[str]) -> None:
    assert run(*args)[0] == 2


def test_unknown_topic_setting_is_a_usage_error(project: Path) -> None:
    with (project / "pyproject.toml").open("a") as stream:
        stream.write("[tool.pubsub-gen.topics.alpha]\nencodnig = 'binary'\n")
    code, _, err = run()
    assert code == 2
    assert "unknown keys encodnig" in err


def test_console_script_and_python_m_work(project: Path) -> None:
    script = Path(sys.executable).with_name("pubsub-gen")
    done = subprocess.run([script, "schemas"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    before = tree(project / "src")
    done = subprocess.run(
        [sys.executable, "-m", "pubsub_gen", "--check"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert tree(project / "src") == before
    done = subprocess.run([script, "--version"], capture_output=True, text=True, check=False)
    assert done.stdout.startswith("pubsub-gen, version ")


def test_other_commands_sit_beside_generate() -> None:
    code, out, _ = run("--help")
    assert code == 0
    for command in ("generate", "check-compat", "asyncapi", "push-schemas"):
        assert command in out
    assert run("check-compat", "--help")[0] == 0
