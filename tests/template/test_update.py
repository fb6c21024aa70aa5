"""`copier update` brings a newer template version in and keeps what the service's team wrote.

The team's files are never touched: schemas/ is only written at copy time, and the package under
src/ is pubsub-gen's business (it writes the team's files once, and regenerates its own after
every update).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from copier import run_update
from copier.errors import TaskError
from template_support import (
    PYTHON,
    all_files,
    commit_all,
    copy_service,
    git,
    make_template_repo,
    run_in,
)

ANSWERS = {"service_name": "orders", "first_topic": "order_placed"}
PACKAGE = Path("src/orders")
SCHEMA = Path("schemas/order_placed.avsc")
MAKEFILE_ADDITION = "\n## Added in v0.2.0.\nversion:\n\t@echo {{ service_name }} template v0.2.0\n"
LAST_FIELD = '{"name": "note", "type": ["null", "string"], "default": null}'
NEW_FIELD = '{"name": "channel", "type": ["null", "string"], "default": null}'


def update(service: Path) -> None:
    run_update(service, defaults=True, overwrite=True, unsafe=True, quiet=True)


def template_file(template: Path, pattern: str) -> Path:
    return next((template / "templates" / "service").glob(pattern))


def release(template: Path, tag: str = "v0.2.0") -> None:
    """A new template version: a Makefile target, and a field added to the example schema."""
    makefile = template_file(template, "Makefile.jinja")
    makefile.write_text(makefile.read_text() + MAKEFILE_ADDITION)
    schema = template_file(template, "schemas/*avsc*")
    assert LAST_FIELD in schema.read_text()
    schema.write_text(schema.read_text().replace(LAST_FIELD, f"{LAST_FIELD},\n    {NEW_FIELD}"))
    commit_all(template, f"template {tag}")
    git(template, "tag", tag)


def assert_clean_merge(service: Path) -> None:
    assert not [p for p in all_files(service) if p.suffix in (".rej", ".orig")]
    for path in all_files(service):
        text = path.read_text(errors="replace")
        assert "<<<<<<< " not in text and ">>>>>>> " not in text, path


def assert_generated_code_is_current(service: Path) -> None:
    check = run_in(service, [str(PYTHON), "-m", "pubsub_gen", "--check"])
    assert check.returncode == 0, check.stdout


def changed_files(service: Path) -> set[str]:
    return {line[3:] for line in git(service, "status", "--porcelain").splitlines()}


@pytest.fixture
def template(tmp_path: Path) -> Path:
    """A template repository of our own: the tests add a version to it."""
    return make_template_repo(tmp_path / "template", tag="v0.1.0")


@pytest.fixture
def service(template: Path, tmp_path: Path) -> Path:
    """A service copied from v0.1.0 and committed, as its team would start."""
    created = copy_service(template, tmp_path / "orders", ANSWERS)
    git(created, "init", "--quiet")
    commit_all(created, "new service from the template v0.1.0")
    return created


def test_update_applies_the_new_template_and_keeps_the_handler_edit(
    template: Path, service: Path
) -> None:
    handler = service / PACKAGE / "handlers" / "order_placed.py"
    edited = handler.read_text() + "\n\nSEEN_ORDER_IDS: set[str] = set()  # the team's own code\n"
    handler.write_text(edited)
    readme = service / "README.md"
    readme.write_text(readme.read_text() + "\nOwned by the orders team.\n")
    commit_all(service, "our handler")
    release(template)

    update(service)

    assert "echo orders template v0.2.0" in (service / "Makefile").read_text()
    assert handler.read_text() == edited
    assert readme.read_text().endswith("\nOwned by the orders team.\n")
    assert yaml.safe_load((service / ".copier-answers.yml").read_text())["_commit"] == "v0.2.0"
    assert changed_files(service) == {".copier-answers.yml", "Makefile"}
    assert_clean_merge(service)
    assert_generated_code_is_current(service)


def test_the_schemas_are_the_teams_after_the_copy(template: Path, service: Path) -> None:
    schema = service / SCHEMA
    before = schema.read_text()
    release(template)  # changes the template's example schema

    update(service)

    assert schema.read_text() == before
    assert "channel" not in (service / PACKAGE / "order_placed.py").read_text()


def test_update_keeps_a_topic_the_team_added(template: Path, service: Path) -> None:
    schema = {
        "type": "record",
        "name": "RefundIssued",
        "fields": [{"name": "order_id", "type": "string"}, {"name": "cents", "type": "long"}],
    }
    (service / "schemas" / "refund_issued.avsc").write_text(json.dumps(schema, indent=2))
    generated = run_in(service, [str(PYTHON), "-m", "pubsub_gen"])
    assert generated.returncode == 0, generated.stdout
    commit_all(service, "a second topic")
    files = {p: p.read_text() for p in all_files(service / PACKAGE)}
    assert any("refund_issued" in p.name for p in files)  # its module, handler and test
    release(template)

    update(service)

    assert {p: p.read_text() for p in all_files(service / PACKAGE)} == files
    assert changed_files(service) == {".copier-answers.yml", "Makefile"}
    assert_clean_merge(service)
    assert_generated_code_is_current(service)


def test_update_regenerates_the_generated_code(template: Path, service: Path) -> None:
    # As if an older pubsub-gen had written the package: the update brings it up to date.
    module = service / PACKAGE / "order_placed.py"
    current = module.read_text()
    header, _, rest = current.partition("\n")
    # Releases up to 0.1 put their version in the header.
    old_header = header.replace("pubsub-gen from", "pubsub-gen 0.0.1 from")
    assert old_header != header
    module.write_text(f"{old_header}\n{rest}")
    commit_all(service, "generated by an older pubsub-gen")
    release(template)

    update(service)

    assert module.read_text() == current
    assert_clean_merge(service)
    assert_generated_code_is_current(service)


def test_update_without_template_changes_changes_nothing(service: Path) -> None:
    update(service)
    assert git(service, "status", "--porcelain") == ""


def test_a_settings_conflict_stops_the_regeneration_with_the_reason(
    template: Path, service: Path
) -> None:
    # The team switches to binary Avro; the new template version rewrites the same line.
    pyproject = service / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('encoding = "json"', 'encoding = "binary"'))
    assert run_in(service, [str(PYTHON), "-m", "pubsub_gen"]).returncode == 0
    commit_all(service, "binary Avro")
    pyproject_template = template_file(template, "pyproject.toml.jinja")
    pyproject_template.write_text(
        pyproject_template.read_text().replace(
            'encoding = "{{ avro_encoding }}"', 'encoding = "{{ avro_encoding }}"  # or binary'
        )
    )
    commit_all(template, "template v0.2.0")
    git(template, "tag", "v0.2.0")

    with pytest.raises(TaskError):
        update(service)

    # Copier marked the conflict and pubsub-gen refused the file; resolving it and regenerating
    # (what templates/README.md says to do) leaves an up-to-date service.
    merged = pyproject.read_text()
    assert "<<<<<<< before updating" in merged
    conflict = r"<<<<<<< before updating\n(.*?)\n=======\n.*?\n>>>>>>> after updating"
    pyproject.write_text(re.sub(conflict, r"\1", merged, flags=re.DOTALL))
    assert run_in(service, [str(PYTHON), "-m", "pubsub_gen"]).returncode == 0
    assert '"BINARY"' in (service / PACKAGE / "order_placed.py").read_text()
    assert_clean_merge(service)
    assert_generated_code_is_current(service)
