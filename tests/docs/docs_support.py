"""Helpers of the docs tests: where things are, shell snippets, console transcripts.

A shell snippet (``docs_src/**/*.sh``) is a list of commands; tests either run them or check
that the program accepts them. A console transcript (``docs_src/**/*.console``) alternates
``$ command`` lines with the output the command prints (stdout, then stderr); tests run each
command in a prepared folder and compare.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import click

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
DOCS_SRC = REPO / "docs_src"
BIN = Path(sys.executable).parent
SNIPPET = re.compile(r'^\s*-{2}8<-{2}\s+"([^"]+)"\s*$', re.MULTILINE)


def included_files() -> dict[Path, list[Path]]:
    """Every file a page includes with ``--8<--``, and the pages that include it."""
    found: dict[Path, list[Path]] = {}
    for page in sorted(DOCS.rglob("*.md")):
        for target in SNIPPET.findall(page.read_text(encoding="utf-8")):
            path = target.split(":", 1)[0]  # "file:section" or "file:start:end"
            found.setdefault(REPO / path, []).append(page)
    return found


# -- shell snippets -------------------------------------------------------------------------


def shell_commands(path: Path) -> list[list[str]]:
    """The commands of a snippet: comments dropped, ``\\`` continuations and ``&&`` split."""
    text = path.read_text(encoding="utf-8").replace("\\\n", " ")
    commands: list[list[str]] = []
    for line in text.splitlines():
        words = shlex.split(line, comments=True)
        current: list[str] = []
        for word in [*words, "&&"]:
            if word == "&&":
                if current:
                    commands.append(current)
                current = []
            else:
                current.append(word)
    return commands


def without_env_prefix(command: list[str]) -> tuple[dict[str, str], list[str]]:
    """Split ``NAME=value ... program args`` into the variables and the command."""
    env: dict[str, str] = {}
    rest = list(command)
    while rest and re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", rest[0]):
        name, _, value = rest.pop(0).partition("=")
        env[name] = value
    return env, rest


def parse_with_click(group: click.Group, prog: str, args: list[str]) -> click.Context:
    """Parse ``args`` as the shell would hand them to ``prog``; raise on any usage error.

    Runs no command: it resolves the subcommand and builds its context, which checks the
    options, their types and the arguments.
    """
    parent = group.make_context(prog, list(args))
    # Click 8.2+ keeps the subcommand's name apart until it is resolved; Click 9 will not.
    words = [*getattr(parent, "_protected_args", []), *parent.args]
    name, command, rest = group.resolve_command(parent, words)
    assert command is not None and name is not None
    return command.make_context(name, rest, parent=parent)


# -- running commands -----------------------------------------------------------------------


def command_env(**extra: str) -> dict[str, str]:
    """This venv first on PATH, no stray emulator, no colour codes."""
    env = {k: v for k, v in os.environ.items() if k not in ("PUBSUB_EMULATOR_HOST", "VIRTUAL_ENV")}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["NO_COLOR"] = "1"
    env.update(extra)
    return env


@dataclass(frozen=True)
class Step:
    command: str
    expected: str


def transcript_steps(path: Path) -> Iterator[Step]:
    """The ``$ command`` lines of a transcript, each with the output shown below it."""
    command: str | None = None
    output: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("$ "):
            if command is not None:
                yield Step(command, "\n".join(output))
            command, output = line[2:], []
        else:
            output.append(line)
    if command is not None:
        yield Step(command, "\n".join(output))


def run_transcript(
    path: Path,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    normalize: Callable[[str], str] = lambda text: text,
) -> None:
    """Run every command of the transcript in ``cwd`` and compare with what it shows."""
    for step in transcript_steps(path):
        done = subprocess.run(
            ["bash", "-c", step.command],
            cwd=cwd,
            env=dict(env) if env is not None else command_env(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        actual = normalize((done.stdout + done.stderr).rstrip("\n"))
        expected = normalize(step.expected.rstrip("\n"))
        assert actual == expected, (
            f"{path.relative_to(REPO)}: `{step.command}` (exit {done.returncode}) printed:\n"
            f"{actual}\n--- but the page shows:\n{expected}"
        )
