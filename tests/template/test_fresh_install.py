"""A new service on a fresh machine, exactly as a user makes it: slow, and the real thing.

A clone of this repository (the commit under test, tagged as a template release) is the
template. The service is copied with the README's command and runs its own `make test`: its own
fresh `.venv`, its own pip install of both packages from the template's source (no `BIN` or
`STAMP` override; a warm pip cache only). Then `make run` and `make publish` as its README has
them, and `make update` to a newer template tag that keeps the team's handler edit.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest
import yaml
from template_support import REPO, free_port, git, read

from pubsub_runtime.testing import Emulator

pytestmark = pytest.mark.emulator  # the services' `make test` runs their emulator tests (CI=true)

INSTALL = 1800.0  # seconds a `make test` with its pip install may take before the test gives up


def user_env(**extra: str) -> dict[str, str]:
    """A user's shell: no virtualenv active, nothing of this test run's own environment."""
    dropped = ("VIRTUAL_ENV", "MAKEFLAGS", "MAKELEVEL", "MFLAGS", "PUBSUB_EMULATOR_HOST")
    env = {k: v for k, v in os.environ.items() if k not in dropped and not k.startswith("PYTEST")}
    venv_bin = str(REPO / ".venv" / "bin")
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != venv_bin)
    env.update(extra)
    return env


def sh(cwd: Path, *command: str, timeout: float = 600, **env: str) -> str:
    done = subprocess.run(
        list(command),
        cwd=cwd,
        env=user_env(**env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout[-8000:]}"
    return done.stdout


@pytest.fixture
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clone of the commit under test, tagged v0.1.0, with the checkout's `.venv` beside it
    (the README's command uses `.venv/bin/copier`; that venv has Copier and pubsub-gen)."""
    commit = git(REPO, "rev-parse", "HEAD").strip()
    target = tmp_path_factory.mktemp("fresh") / "pubsub-gen"
    git(REPO.parent, "clone", "--quiet", "--no-checkout", str(REPO), str(target))
    git(target, "checkout", "--quiet", commit)
    git(target, "tag", "v0.1.0")
    (target / ".venv").symlink_to(REPO / ".venv")
    return target


def installed_from(service: Path, distribution: str) -> str:
    """Where the service's own venv got ``distribution`` (pip's direct_url.json)."""
    [site] = (service / ".venv" / "lib").glob("python3.*/site-packages")
    [info] = site.glob(f"{distribution.replace('-', '_')}-*.dist-info")
    url = json.loads((info / "direct_url.json").read_text())
    return f"{url['url']}@{url.get('vcs_info', {}).get('requested_revision', '')}"


def test_defaults_install_pass_make_test_run_publish_and_update(
    clone: Path, pubsub_emulator: Emulator, tmp_path: Path
) -> None:
    # The README, from the root of the checkout: Enter for every question (--defaults).
    sh(clone, ".venv/bin/copier", "copy", "--trust", "--defaults", ".", "../billing-worker")
    service = clone.parent / "billing-worker"
    git(service, "init", "--quiet")
    git(service, "add", "--all")
    git(service, "commit", "--quiet", "--message", "new service")

    sh(service, "make", "test", timeout=INSTALL, CI="true")

    assert (service / ".venv" / "bin" / "python").is_file()
    for distribution in ("pubsub-runtime", "pubsub-gen"):
        assert installed_from(service, distribution) == f"file://{clone}@v0.1.0", distribution
    answers = yaml.safe_load((service / ".copier-answers.yml").read_text())
    assert answers["_src_path"] == str(clone)

    # `make run`, then `make publish` in another terminal, as the service's README has them.
    port, emulator_port = free_port(), free_port()
    log = tmp_path / "run.log"
    env = user_env(PORT=str(port), EMULATOR_PORT=str(emulator_port))
    with log.open("wb") as out:
        server = subprocess.Popen(
            ["make", "run"], cwd=service, env=env, stdout=out, stderr=out, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 180
        while not _ready(port):
            assert server.poll() is None and time.monotonic() < deadline, read(log)
            time.sleep(0.3)
        published = sh(
            service, "make", "publish", "TOPIC=order_placed", EMULATOR_PORT=str(emulator_port)
        )
        message_id = published.strip().splitlines()[-1].split()[2]
        assert published.strip().endswith(f"published message {message_id} to order_placed")
        alias = "billing-worker.order_placed"
        deadline = time.monotonic() + 120
        while f"alias={alias}" not in read(log) or f"message_id={message_id}" not in read(log):
            assert time.monotonic() < deadline, read(log)
            time.sleep(0.3)
    finally:
        os.killpg(server.pid, signal.SIGINT)  # Ctrl-C in its terminal
        server.wait(120)  # make itself ends by the SIGINT; the server drains and finishes
    assert "Application shutdown complete." in read(log)
    assert "Traceback" not in read(log)

    # Later: a newer template version comes in, and the team's handler edit stays.
    makefile = clone / "templates" / "service" / "Makefile.jinja"
    makefile.write_text(makefile.read_text() + "\n## Added in v0.2.0.\nversion:\n\t@echo v0.2.0\n")
    git(clone, "commit", "--quiet", "--all", "--message", "template v0.2.0")
    git(clone, "tag", "v0.2.0")
    handler = service / "src" / "billing_worker" / "handlers" / "order_placed.py"
    edited = handler.read_text() + "\n\nSEEN_ORDER_IDS: set[str] = set()  # the team's own code\n"
    handler.write_text(edited)
    git(service, "commit", "--quiet", "--all", "--message", "our handler")

    sh(service, "make", "update", timeout=INSTALL)

    assert "\n## Added in v0.2.0.\nversion:\n\t@echo v0.2.0\n" in (service / "Makefile").read_text()
    assert handler.read_text() == edited
    answers = yaml.safe_load((service / ".copier-answers.yml").read_text())
    assert answers["_commit"] == "v0.2.0" and answers["_src_path"] == str(clone)
    changed = {line[3:] for line in git(service, "status", "--porcelain").splitlines()}
    assert changed == {".copier-answers.yml", "Makefile"}
    assert sh(service, "make", "version").strip().endswith("v0.2.0")


def test_a_git_url_source_installs_and_passes_make_test(
    clone: Path, pubsub_emulator: Emulator
) -> None:
    """The template named by a git URL: the service depends on that URL, at the tag copied."""
    url = f"git+file://{clone}"  # Copier's spelling of a git URL of a local repository
    answers = ["--data", "schema_format=jsonschema", "--data", "first_topic=invoice_issued"]
    sh(
        clone.parent,
        str(clone / ".venv/bin/copier"),
        "copy",
        "--trust",
        "--defaults",
        *answers,
        url,
        "ledger",
    )
    service = clone.parent / "ledger"
    recorded = yaml.safe_load((service / ".copier-answers.yml").read_text())
    assert recorded["_src_path"] == url
    assert recorded["dependency_source"] == f"{url}@v0.1.0"

    sh(service, "make", "test", timeout=INSTALL, CI="true")

    for distribution in ("pubsub-runtime", "pubsub-gen"):
        assert installed_from(service, distribution) == f"file://{clone}@v0.1.0", distribution


def _ready(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/consumers/ready", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False
