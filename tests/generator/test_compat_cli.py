"""``pubsub-gen check-compat`` end to end: folders, git refs, output formats and exit codes."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from pubsub_gen.cli import check_compat

CASES = Path(__file__).parent / "compat_cases"
PYPROJECT = """\
[project]
name = "shop"
version = "1.2.3"

[tool.pubsub-gen]
schemas = "schemas"
package = "shop_events"
"""


def _use(case: str, side: str, folder: Path, stem: str) -> None:
    """Copy one side of a compat case into ``folder`` as topic file ``stem``."""
    source = next((CASES / case).glob(f"{side}.*"))
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, folder / f"{stem}{source.suffix}")


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(check_compat, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def _project(tmp_path: Path, pyproject: str = PYPROJECT) -> Path:
    (tmp_path / "pyproject.toml").write_text(pyproject)
    return tmp_path


def test_compatible_folders_pass_with_no_findings(tmp_path: Path) -> None:
    _use("avro_field_added_with_default", "old", tmp_path / "old", "orders")
    _use("avro_field_added_with_default", "new", tmp_path / "new", "orders")
    code, out, err = _run(str(tmp_path / "old"), str(tmp_path / "new"))
    assert (code, out) == (0, "")
    assert "compatible (backward)" in err


def test_each_break_is_one_line_naming_topic_field_rule_and_mode(tmp_path: Path) -> None:
    _use("avro_field_added_without_default", "old", tmp_path / "old", "orders")
    _use("avro_field_added_without_default", "new", tmp_path / "new", "orders")
    _use("json_required_property_added", "old", tmp_path / "old", "signups")
    _use("json_required_property_added", "new", tmp_path / "new", "signups")
    code, out, _ = _run(str(tmp_path / "old"), str(tmp_path / "new"))
    assert code == 1
    assert out.splitlines() == [
        "orders: coupon: field added without a default (backward)",
        "signups: email: required property added (backward)",
    ]


def test_mode_selects_the_direction(tmp_path: Path) -> None:
    _use("avro_promotion_int_to_long", "old", tmp_path / "old", "orders")
    _use("avro_promotion_int_to_long", "new", tmp_path / "new", "orders")
    old, new = str(tmp_path / "old"), str(tmp_path / "new")
    assert _run(old, new, "--mode", "backward")[0] == 0
    code, out, _ = _run(old, new, "--mode", "forward")
    assert code == 1
    assert out == "orders: qty: type changed from int to long (forward)\n"
    code, out, _ = _run(old, new, "--mode", "full")
    assert (code, out) == (1, "orders: qty: type changed from int to long (forward)\n")


def test_json_format_lists_findings_for_tools(tmp_path: Path) -> None:
    _use("avro_enum_symbol_removed_without_default", "old", tmp_path / "old", "orders")
    _use("avro_enum_symbol_removed_without_default", "new", tmp_path / "new", "orders")
    code, out, _ = _run(str(tmp_path / "old"), str(tmp_path / "new"), "--format", "json")
    assert code == 1
    rows = json.loads(out)
    assert len(rows) == 1
    assert rows[0]["topic"] == "orders"
    assert rows[0]["path"] == "status"
    assert rows[0]["rule"] == "enum-symbol-removed"
    assert rows[0]["mode"] == "backward"
    assert rows[0]["direction"] == "backward"
    assert rows[0]["kind"] == "break"
    assert rows[0]["fails"] is True
    assert "VOID" in rows[0]["message"]


def test_removed_topic_breaks_and_added_topic_is_noted(tmp_path: Path) -> None:
    _use("avro_type_changed", "old", tmp_path / "old", "orders")
    _use("json_unchanged", "new", tmp_path / "new", "signups")
    code, out, _ = _run(str(tmp_path / "old"), str(tmp_path / "new"))
    assert code == 1
    assert out.splitlines() == [
        "orders: (root): topic removed (topic)",
        "signups: (root): topic added (info)",
    ]
    (tmp_path / "old" / "orders.avsc").unlink()
    code, out, _ = _run(str(tmp_path / "old"), str(tmp_path / "new"))
    assert (code, out) == (0, "signups: (root): topic added (info)\n")


def test_python_renames_warn_unless_strict(tmp_path: Path) -> None:
    _use("avro_field_renamed_with_alias", "old", tmp_path / "old", "orders")
    _use("avro_field_renamed_with_alias", "new", tmp_path / "new", "orders")
    old, new = str(tmp_path / "old"), str(tmp_path / "new")
    code, out, _ = _run(old, new)
    assert code == 0
    assert out == (
        "orders: customer_ref: attribute customer_id renamed to customer_ref (python, warning)\n"
    )
    code, out, _ = _run(old, new, "--strict-python")
    assert code == 1
    assert out.endswith("(python)\n")


def test_a_renamed_payload_class_is_a_python_warning(tmp_path: Path) -> None:
    _use("avro_field_added_with_default", "old", tmp_path / "old", "orders")
    _use("avro_field_added_with_default", "new", tmp_path / "new", "orders")
    (tmp_path / "new" / "pyproject.toml").write_text(
        '[tool.pubsub-gen]\n[tool.pubsub-gen.topics.orders]\nmodel = "PlacedOrder"\n'
    )
    code, out, _ = _run(str(tmp_path / "old"), str(tmp_path / "new"))
    assert code == 0
    assert out == "orders: (root): payload class Order renamed to PlacedOrder (python, warning)\n"


def test_configured_topic_names_match_across_file_renames(tmp_path: Path) -> None:
    _project(
        tmp_path,
        PYPROJECT
        + '\n[tool.pubsub-gen.topics.orders]\ntopic = "shop-orders"\n'
        + '\n[tool.pubsub-gen.topics.orders_v2]\ntopic = "shop-orders"\n',
    )
    _use("avro_type_changed", "old", tmp_path / "old", "orders")
    _use("avro_type_changed", "new", tmp_path / "new", "orders_v2")
    code, out, _ = _run(str(tmp_path / "old"), str(tmp_path / "new"))
    assert code == 1
    assert out == "shop-orders: qty: type changed from int to string (backward)\n"


def test_a_changed_wire_encoding_breaks(tmp_path: Path) -> None:
    _use("avro_unchanged_interop_like", "old", tmp_path / "old", "orders")
    _use("avro_unchanged_interop_like", "new", tmp_path / "new", "orders")
    (tmp_path / "new" / "pyproject.toml").write_text('[tool.pubsub-gen]\nencoding = "binary"\n')
    code, out, _ = _run(str(tmp_path / "old"), str(tmp_path / "new"))
    assert code == 1
    assert out == "orders: (root): message encoding changed from JSON to BINARY (topic)\n"


def test_an_invalid_schema_fails_with_its_path(tmp_path: Path) -> None:
    _use("avro_type_changed", "old", tmp_path / "old", "orders")
    (tmp_path / "new").mkdir()
    (tmp_path / "new" / "orders.avsc").write_text("{not json")
    code, out, err = _run(str(tmp_path / "old"), str(tmp_path / "new"))
    assert code == 1
    assert out == ""
    assert "orders.avsc" in err
    assert "Traceback" not in err


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert _run()[0] == 2
    assert _run("--mode", "sideways", str(tmp_path), str(tmp_path))[0] == 2


# -- git refs ----------------------------------------------------------------------------


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git repository whose ``main`` holds one Avro and one JSON Schema topic."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    _project(tmp_path)
    _use("avro_field_added_without_default", "old", tmp_path / "schemas", "orders")
    _use("json_property_made_required", "old", tmp_path / "schemas", "signups")
    _git(tmp_path, "init", "--quiet", "--initial-branch=main")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "--quiet", "-m", "schemas")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_against_a_ref_compares_the_working_tree_with_it(repo: Path) -> None:
    assert _run("--against", "main")[:2] == (0, "")
    _use("avro_field_added_without_default", "new", repo / "schemas", "orders")
    _use("json_property_made_required", "new", repo / "schemas", "signups")
    code, out, _ = _run("--against", "main")
    assert code == 1
    assert out.splitlines() == [
        "orders: coupon: field added without a default (backward)",
        "signups: email: property became required (backward)",
    ]


def test_against_uses_the_topic_settings_of_that_ref(repo: Path) -> None:
    (repo / "pyproject.toml").write_text(
        PYPROJECT + '\n[tool.pubsub-gen.topics.orders]\ntopic = "shop-orders"\n'
    )
    code, out, _ = _run("--against", "main")
    assert code == 1
    assert out.splitlines() == [
        "orders: (root): topic removed (topic)",
        "shop-orders: (root): topic added (info)",
    ]


def test_old_may_be_a_git_ref(repo: Path) -> None:
    _use("avro_field_added_without_default", "new", repo / "schemas", "orders")
    code, out, _ = _run("main", "schemas")
    assert code == 1
    assert out == "orders: coupon: field added without a default (backward)\n"


def test_a_folder_missing_at_the_ref_held_no_topics(repo: Path) -> None:
    _use("json_unchanged", "new", repo / "more", "audit")
    code, out, _ = _run("--against", "main", "more")
    assert (code, out) == (0, "audit: (root): topic added (info)\n")


def test_an_unknown_ref_is_a_usage_error(repo: Path) -> None:
    code, _, err = _run("--against", "no-such-branch")
    assert code == 2
    assert "no-such-branch" in err
    code, _, err = _run("no-such-folder-or-ref", "schemas")
    assert code == 2
    assert "neither a folder nor a git ref" in err


def test_the_mode_choices_are_the_modes() -> None:
    # The CLI lists them without importing the rule engines.
    from pubsub_gen.cli import _MODES
    from pubsub_gen.commands.check_compat import Mode

    assert tuple(mode.value for mode in Mode) == _MODES
