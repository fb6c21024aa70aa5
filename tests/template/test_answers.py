"""The template's questions: defaults derived from other answers, readable errors for bad ones."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from copier.errors import TaskError
from template_support import commit_all, copy_service, git, make_template_repo


def render(template: Path, destination: Path, **answers: Any) -> Path:
    # skip_tasks: these tests read the rendered files only, not the generated package.
    return copy_service(template, destination, answers, skip_tasks=True)


def pyproject(service: Path) -> dict[str, Any]:
    return tomllib.loads((service / "pyproject.toml").read_text())


@pytest.mark.parametrize(
    ("question", "answer", "message"),
    [
        ("service_name", "Billing Worker", "is not kebab-case"),
        ("service_name", "billing--worker", "is not kebab-case"),
        ("service_name", "-billing", "is not kebab-case"),
        ("service_name", "2fa-service", "is not kebab-case"),
        ("service_name", "a" * 64, "keep it to 63 at most"),
        ("python_package", "billing-worker", "is not a valid package name"),
        ("python_package", "1billing", "is not a valid package name"),
        ("python_package", "Billing", "is not a valid package name"),
        ("python_package", "class", "is a Python keyword"),
        ("python_package", "pubsub_runtime", "the name of a package the service imports"),
        ("gcp_project_id", "acme", "is not a Google Cloud project id"),
        ("gcp_project_id", "Acme-Prod", "is not a Google Cloud project id"),
        ("gcp_project_id", "acme-prod-", "is not a Google Cloud project id"),
        ("gcp_project_id", "1acme-prod", "is not a Google Cloud project id"),
        ("gcp_project_id", "a" * 31, "is not a Google Cloud project id"),
        ("gcp_project_id", "my-google-app", "cannot contain 'google'"),
        ("first_topic", "Order Placed", "is not a usable topic name"),
        ("first_topic", "order__placed", "is not a usable topic name"),
        ("first_topic", "ab", "3 to 100 characters"),
        ("first_topic", "google_events", "starting with 'goog'"),
        ("schema_format", "protobuf", "Invalid choice"),
        ("avro_encoding", "xml", "Invalid choice"),
        ("python_version", "3.9", "is not a Python version this service can use"),
        ("python_version", "3", "is not a Python version this service can use"),
        ("dependency_source", "latest", "is neither a version specifier"),
        ("dependency_source", "0.1", "is neither a version specifier"),
        ("dependency_source", "../pubsub-gen", "is neither a version specifier"),
        ("dependency_source", "/path with spaces", "is neither a version specifier"),
        ("dependency_source", "https://github.com/o/r", "is neither a version specifier"),
    ],
)
def test_an_invalid_answer_is_refused_with_a_readable_error(
    template_repo: Path, tmp_path: Path, question: str, answer: str, message: str
) -> None:
    destination = tmp_path / "service"
    with pytest.raises(ValueError, match=f"'{question}'") as refused:
        render(template_repo, destination, **{question: answer})
    assert message in str(refused.value)
    assert "{%" not in str(refused.value) and "\n" not in str(refused.value).strip()
    assert not destination.exists()


@pytest.mark.parametrize(
    ("source", "runtime", "generator"),
    [
        (">=0.1", "pubsub-runtime[app]>=0.1", "pubsub-gen>=0.1"),
        ("==0.2.0", "pubsub-runtime[app]==0.2.0", "pubsub-gen==0.2.0"),
        (">=0.1, <0.3", "pubsub-runtime[app]>=0.1,<0.3", "pubsub-gen>=0.1,<0.3"),
        (
            "/src/pubsub-gen/",
            "pubsub-runtime[app] @ file:///src/pubsub-gen/runtime",
            "pubsub-gen @ file:///src/pubsub-gen/generator",
        ),
        (
            "file:///src/pubsub-gen",
            "pubsub-runtime[app] @ file:///src/pubsub-gen/runtime",
            "pubsub-gen @ file:///src/pubsub-gen/generator",
        ),
        (
            "git+https://github.com/acme/pubsub-gen@v0.1.0",
            "pubsub-runtime[app] @ git+https://github.com/acme/pubsub-gen@v0.1.0"
            "#subdirectory=runtime",
            "pubsub-gen @ git+https://github.com/acme/pubsub-gen@v0.1.0#subdirectory=generator",
        ),
    ],
)
def test_the_dependency_source_becomes_the_two_requirements(
    template_repo: Path, tmp_path: Path, source: str, runtime: str, generator: str
) -> None:
    service = render(template_repo, tmp_path / "svc-a", dependency_source=source)
    project = pyproject(service)
    assert project["project"]["dependencies"] == [runtime]
    dev = project["dependency-groups"]["dev"]
    # From a checkout or git, the runtime is listed beside pubsub-gen, from the same source, so
    # that pip satisfies pubsub-gen's dependency on it with that source, not with PyPI.
    same_source = (
        [runtime.replace("pubsub-runtime[app]", "pubsub-runtime")] if "@" in runtime else []
    )
    assert dev[: len(same_source) + 1] == [*same_source, generator]
    # The image needs git to install from git; a checkout on this machine is out of its reach.
    dockerfile = (service / "Dockerfile").read_text()
    assert ("apt-get install" in dockerfile) == source.startswith("git+")
    readme = (service / "README.md").read_text()
    assert ("CI and `docker build` cannot see it" in readme) == ("file://" in runtime)


def test_by_default_the_service_depends_on_the_template_s_own_source_and_version(
    template_repo: Path, tmp_path: Path
) -> None:
    service = render(template_repo, tmp_path / "svc-default")
    answers = yaml.safe_load((service / ".copier-answers.yml").read_text())
    assert answers["dependency_source"] == f"git+file://{template_repo}@v0.1.0"
    project = pyproject(service)
    assert project["project"]["dependencies"] == [
        f"pubsub-runtime[app] @ git+file://{template_repo}@v0.1.0#subdirectory=runtime"
    ]
    # The Python running Copier (this one) is the service's.
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert answers["python_version"] == version
    assert project["project"]["requires-python"] == f">={version}"


def test_an_untagged_template_is_pinned_at_its_commit(tmp_path: Path) -> None:
    template = make_template_repo(tmp_path / "template", tag="v0.1.0")
    (template / "templates" / "README.md").write_text("a later, untagged commit\n")
    commit_all(template, "after the tag")
    head = git(template, "rev-parse", "HEAD").strip()
    service = copy_service(template, tmp_path / "svc", skip_tasks=True, vcs_ref="HEAD")
    answers = yaml.safe_load((service / ".copier-answers.yml").read_text())
    assert answers["dependency_source"] == f"git+file://{template}@{head}"


def test_a_relative_template_path_is_recorded_absolute(template_repo: Path, tmp_path: Path) -> None:
    """`copier copy --trust . ../service` as the README has it: `copier update` needs the
    template's real place, not `.` (which inside the service would be the service)."""
    copier = str(Path(sys.executable).parent / "copier")
    done = subprocess.run(
        [copier, "copy", "--trust", "--defaults", "--skip-tasks", ".", str(tmp_path / "svc")],
        cwd=template_repo,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    answers = yaml.safe_load((tmp_path / "svc" / ".copier-answers.yml").read_text())
    assert answers["_src_path"] == str(template_repo)
    assert answers["dependency_source"] == f"git+file://{template_repo}@v0.1.0"


def test_names_default_from_the_destination_folder(template_repo: Path, tmp_path: Path) -> None:
    service = render(template_repo, tmp_path / "Payments Gateway_v2")
    answers = yaml.safe_load((service / ".copier-answers.yml").read_text())
    assert answers["service_name"] == "payments-gateway-v2"
    assert answers["python_package"] == "payments_gateway_v2"


def test_the_package_defaults_from_the_service_name(template_repo: Path, tmp_path: Path) -> None:
    service = render(template_repo, tmp_path / "x-service", service_name="fraud-check")
    assert pyproject(service)["tool"]["pubsub-gen"]["package"] == "fraud_check"


def test_the_example_schema_is_named_after_the_first_topic(
    template_repo: Path, tmp_path: Path
) -> None:
    service = render(template_repo, tmp_path / "svc-b", first_topic="payment-captured")
    schema = (service / "schemas" / "payment-captured.avsc").read_text()
    assert '"name": "PaymentCaptured"' in schema


def test_the_avro_encoding_is_not_asked_for_json_schema(
    template_repo: Path, tmp_path: Path
) -> None:
    service = render(template_repo, tmp_path / "svc-c", schema_format="jsonschema")
    answers = yaml.safe_load((service / ".copier-answers.yml").read_text())
    assert "avro_encoding" not in answers
    assert "encoding" not in pyproject(service)["tool"]["pubsub-gen"]
    assert [p.name for p in (service / "schemas").iterdir()] == ["order_placed.json"]


def test_copying_without_pubsub_gen_says_how_to_run_copier(
    template_repo: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    # The task runs with Copier's own Python; the base interpreter of this venv has no pubsub-gen.
    bare_python = getattr(sys, "_base_executable", sys.executable)
    probe = subprocess.run(
        [bare_python, "-c", "import pubsub_gen"], capture_output=True, check=False
    )
    if probe.returncode == 0:
        pytest.skip(f"{bare_python} has pubsub-gen installed")
    monkeypatch.setattr(sys, "executable", bare_python)
    destination = tmp_path / "service"
    with pytest.raises(TaskError):
        copy_service(template_repo, destination)
    assert "then .venv/bin/copier copy --trust . DEST" in capfd.readouterr().err
    assert not destination.exists()  # Copier removes a copy whose task failed
