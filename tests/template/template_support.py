"""Helpers of the template tests: a git copy of the template, new services, their commands.

The template is this repository, but Copier must not read it in place: a relative template path
breaks `copier update`, and with uncommitted changes `--vcs-ref HEAD` records a commit that does
not exist. So each test template is the current working tree of the template's files, committed
into a temporary git repository and tagged (template versions are git tags).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from copier import run_copy

REPO = Path(__file__).resolve().parents[2]
# This repo's virtualenv: it has pubsub-runtime and pubsub-gen installed (editable), pytest, ruff
# and mypy. New services run their commands with it: installing a fresh venv per test would take
# minutes, and the services' own install path (`make test`) is the same pip install CI does.
PYTHON = Path(sys.executable)
BIN = PYTHON.parent
TEMPLATE_FILES = ("copier.yml", "templates")
_IGNORED = shutil.ignore_patterns(
    "__pycache__", "*.py[co]", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".venv"
)
_GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Template Tests",
    "GIT_AUTHOR_EMAIL": "template-tests@example.invalid",
    "GIT_COMMITTER_NAME": "Template Tests",
    "GIT_COMMITTER_EMAIL": "template-tests@example.invalid",
}


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", *args],
        cwd=cwd,
        env={**os.environ, **_GIT_IDENTITY},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, f"git {' '.join(args)} failed:\n{done.stdout}{done.stderr}"
    return done.stdout


def commit_all(cwd: Path, message: str) -> None:
    git(cwd, "add", "--all")
    git(cwd, "commit", "--quiet", "--message", message)


def make_template_repo(destination: Path, tag: str = "v0.1.0") -> Path:
    """Commit the template's working tree into a fresh git repository and tag it."""
    destination.mkdir(parents=True)
    for name in TEMPLATE_FILES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, destination / name, ignore=_IGNORED)
        else:
            shutil.copy2(source, destination / name)
    git(destination, "init", "--quiet")
    commit_all(destination, f"template {tag}")
    git(destination, "tag", tag)
    return destination


def copy_service(
    template: Path, destination: Path, answers: Mapping[str, Any] | None = None, **options: Any
) -> Path:
    """`copier copy --trust --defaults` with ``answers``; returns the new service's folder."""
    run_copy(
        str(template),
        destination,
        data=dict(answers or {}),
        defaults=True,
        unsafe=True,  # the template's task runs pubsub-gen
        quiet=True,
        **options,
    )
    return destination


def service_env(**extra: str) -> dict[str, str]:
    """The environment of a service's commands: this venv first on PATH, no stray emulator."""
    # The service's make runs as a top-level make even when this suite runs under `make test`.
    dropped = ("PUBSUB_EMULATOR_HOST", "VIRTUAL_ENV", "MAKEFLAGS", "MAKELEVEL", "MFLAGS")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


def run_in(
    service: Path, command: Sequence[str], *, timeout: float = 600, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run ``command`` inside ``service``; stdout and stderr merged into ``.stdout``."""
    return subprocess.run(
        list(command),
        cwd=service,
        env=service_env(**env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
        check=False,
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until_ready(process: subprocess.Popen[bytes], port: int, log: Path) -> httpx.Response:
    """Poll ``/consumers/ready`` until it answers 200; fail when the process exits first.

    The deadline only bounds a hung start; it is not a performance expectation.
    """
    url = f"http://127.0.0.1:{port}/consumers/ready"
    deadline = time.monotonic() + 120
    last: str = "no answer"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(
                f"the app exited with {process.returncode} before it was ready:\n{read(log)}"
            )
        try:
            response = httpx.get(url, timeout=5)
        except httpx.HTTPError as exc:
            last = repr(exc)
        else:
            if response.status_code == 200:
                return response
            last = f"{response.status_code} {response.text}"
        time.sleep(0.2)
    raise AssertionError(f"{url} never answered 200 (last: {last}):\n{read(log)}")


def read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")[-6000:]
    except OSError:
        return ""


def all_files(root: Path) -> list[Path]:
    """Every file of a service, except git's and caches."""
    skipped = {".git", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".venv"}
    return sorted(
        path
        for path in root.rglob("*")
        if path.is_file() and not skipped & set(path.relative_to(root).parts)
    )


@dataclass(frozen=True)
class Variant:
    """One way to answer the template's questions, and what the new service is then called."""

    id: str
    folder: str
    answers: Mapping[str, Any] = field(default_factory=dict)
    package: str = ""
    topic: str = ""
    schema_file: str = ""


VARIANTS = (
    # Nothing answered: every default (the service is named after its folder).
    Variant(
        "defaults",
        folder="orders-service",
        package="orders_service",
        topic="order_placed",
        schema_file="order_placed.avsc",
    ),
    Variant(
        "avro-binary",
        folder="billing",
        answers={
            "service_name": "billing-worker",
            "python_package": "billing",
            "gcp_project_id": "acme-billing-prod",
            "first_topic": "invoice-issued",
            "schema_format": "avro",
            "avro_encoding": "binary",
            "python_version": "3.13",
            "dependency_source": str(REPO),  # this checkout
        },
        package="billing",
        topic="invoice-issued",
        schema_file="invoice-issued.avsc",
    ),
    Variant(
        "jsonschema",
        folder="audit",
        answers={
            "service_name": "audit-trail",
            "first_topic": "audit_event",
            "schema_format": "jsonschema",
            "python_version": "3.11",
            "dependency_source": f"git+file://{REPO}",
        },
        package="audit_trail",
        topic="audit_event",
        schema_file="audit_event.json",
    ),
)
