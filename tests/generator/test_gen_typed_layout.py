"""The service files: tool-owned ones follow the schemas, the user's are written once and kept."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from gen_support import SCHEMAS, field, generate, record, tree, write_schemas
from ruff.__main__ import find_ruff_bin  # type: ignore[import-untyped]

import pubsub_gen
from pubsub_gen.render import HEADER_PREFIX
from pubsub_gen.render.service import USER_NOTE

TOOL_FILES = ("samples.py", "handlers/__init__.py")
USER_FILES = ("broker.py", "app.py", "tests/__init__.py")


def two_topics(folder: Path) -> Path:
    return write_schemas(
        folder,
        {
            "alpha.avsc": record("Alpha", field("a", "int", doc="The a.")),
            "beta.avsc": record("Beta", field("b", "string")),
        },
    )


def test_the_package_holds_tool_files_and_user_files(tmp_path: Path) -> None:
    result = generate(two_topics(tmp_path / "schemas"), tmp_path / "out")
    package = tmp_path / "out" / "events"
    for name in TOOL_FILES:
        assert (package / name).read_text().startswith(HEADER_PREFIX), name
        assert package / name in result.files
    user_files = [*USER_FILES, "handlers/alpha.py", "handlers/beta.py", "tests/test_alpha.py"]
    for name in user_files:
        text = (package / name).read_text()
        assert text.startswith(USER_NOTE + "\n") and "DO NOT EDIT" not in text, name
        assert package / name in result.user_files
    assert set(result.user_files).isdisjoint(result.files)


def test_an_edited_handler_survives_regeneration(tmp_path: Path) -> None:
    schemas, out = two_topics(tmp_path / "schemas"), tmp_path / "out"
    generate(schemas, out)
    handler = out / "events" / "handlers" / "alpha.py"
    edited = handler.read_text().replace('logger.info("received %r", message)', "return None")
    handler.write_text(edited)
    (out / "events" / "app.py").write_text("# my app\n")
    write_schemas(schemas, {"alpha.avsc": record("Alpha", field("a", "long"))})  # schema change

    result = generate(schemas, out)

    assert handler.read_text() == edited
    assert (out / "events" / "app.py").read_text() == "# my app\n"
    assert handler not in result.written and handler in result.unchanged
    assert out / "events" / "alpha.py" in result.written, "the tool's files do follow the schema"


def test_check_ignores_edited_and_deleted_user_files(tmp_path: Path) -> None:
    schemas, out = two_topics(tmp_path / "schemas"), tmp_path / "out"
    generate(schemas, out)
    (out / "events" / "handlers" / "beta.py").write_text("# rewritten by hand\n")
    (out / "events" / "tests" / "test_alpha.py").unlink()
    (out / "events" / "broker.py").unlink()

    assert generate(schemas, out, check=True).stale == ()
    done = subprocess.run(
        [sys.executable, "-m", "pubsub_gen", str(schemas), "--out", str(out), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_a_deleted_user_file_is_written_again(tmp_path: Path) -> None:
    schemas, out = two_topics(tmp_path / "schemas"), tmp_path / "out"
    generate(schemas, out)
    test_file = out / "events" / "tests" / "test_beta.py"
    original = test_file.read_text()
    test_file.unlink()
    result = generate(schemas, out)
    assert result.written == (test_file,)
    assert test_file.read_text() == original


def test_samples_and_the_handlers_package_follow_the_topics(tmp_path: Path) -> None:
    schemas, out = two_topics(tmp_path / "schemas"), tmp_path / "out"
    generate(schemas, out)
    package = out / "events"
    beta_handler = package / "handlers" / "beta.py"
    beta_handler.write_text(beta_handler.read_text() + "\n# kept\n")
    (schemas / "beta.avsc").unlink()
    write_schemas(schemas, {"gamma.avsc": record("Gamma", field("g", "double"))})

    result = generate(schemas, out)

    handlers_init = (package / "handlers" / "__init__.py").read_text()
    samples = (package / "samples.py").read_text()
    assert "gamma" in handlers_init and "beta" not in handlers_init
    assert "def sample_gamma() -> gamma.Gamma:" in samples and "sample_beta" not in samples
    assert (package / "handlers" / "gamma.py").exists()
    assert package / "handlers" / "gamma.py" in result.written
    assert beta_handler.read_text().endswith("# kept\n"), "a user file is never removed"
    assert package / "beta.py" in result.removed


def test_subscriptions_come_from_the_configuration(tmp_path: Path) -> None:
    schemas = two_topics(tmp_path / "schemas")
    generate(
        schemas,
        tmp_path / "out",
        topics={"alpha": {"topic": "alpha.events", "subscriptions": ["alpha-billing", "audit"]}},
    )
    handler = (tmp_path / "out" / "events" / "handlers" / "alpha.py").read_text()
    assert 'alias="alpha-billing",' in handler and 'subscription_name="alpha-billing",' in handler
    assert 'alias="audit",' in handler and 'subscription_name="audit",' in handler
    assert "async def handle_alpha_billing(message: Alpha) -> None:" in handler
    assert "async def handle_audit(message: Alpha) -> None:" in handler
    assert "topic_name=ALPHA_EVENTS.name," in handler
    default = (tmp_path / "out" / "events" / "handlers" / "beta.py").read_text()
    assert 'subscription_name="events.beta",' in default
    assert "async def handle_beta(message: Beta) -> None:" in default


def test_the_handler_docstring_lists_the_model_fields(tmp_path: Path) -> None:
    generate(two_topics(tmp_path / "schemas"), tmp_path / "out")
    handler = (tmp_path / "out" / "events" / "handlers" / "alpha.py").read_text()
    assert "Fields of Alpha:\n        a: int -- The a.\n" in handler
    golden = (SCHEMAS.parent / "generated_example" / "example_events" / "handlers").resolve()
    order_placed = (golden / "order_placed.py").read_text()
    assert "        order_id: UUID -- Unique id of the order.\n" in order_placed
    assert "        shipping_address: Address | None\n" in order_placed
    customer = (golden / "customer_registered.py").read_text()
    assert "        email: str\n" in customer, "JSON Schema models too, without Annotated"
    assert (
        "    PriorityChanged wraps one value:\n        root: Priority\n"
        in (golden / "priority_changed.py").read_text()
    )


def test_a_topic_named_like_a_service_module_gets_another_module(tmp_path: Path) -> None:
    schemas = write_schemas(
        tmp_path / "schemas",
        {
            "broker.avsc": record("BrokerEvent", field("x", "int")),
            "app.avsc": record("AppEvent", field("y", "int")),
        },
    )
    generate(schemas, tmp_path / "out")
    package = tmp_path / "out" / "events"
    assert (package / "broker_topic.py").read_text().startswith(HEADER_PREFIX)
    assert (package / "app_topic.py").read_text().startswith(HEADER_PREFIX)
    assert (package / "broker.py").read_text().startswith(USER_NOTE)
    assert (package / "handlers" / "broker_topic.py").exists()


def test_user_files_are_formatted_and_deterministic(tmp_path: Path) -> None:
    pubsub_gen.generate(SCHEMAS, tmp_path / "a")
    pubsub_gen.generate(SCHEMAS, tmp_path / "b")
    assert tree(tmp_path / "a") == tree(tmp_path / "b")
    done = subprocess.run(
        [find_ruff_bin(), "format", "--check", "--isolated", "--line-length=100", "."],
        cwd=tmp_path / "a",
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
