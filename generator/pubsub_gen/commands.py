"""The subcommands beside ``generate``: ``check-compat``, ``asyncapi`` and ``push-schemas``.

Each is a ``click.Command`` for the CLI group to add. Exit status: 0 success, 1 when the check
fails or a schema is invalid, 2 on usage errors (click's own, and unusable settings).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import click

from pubsub_gen.compat import Mode, TopicSchema, compare
from pubsub_gen.compat.gitref import GitRefError
from pubsub_gen.compat.report import json_text, summary, text_lines
from pubsub_gen.compat.sources import load_topics, topics_at_ref
from pubsub_gen.config import Config, ConfigError, load_config
from pubsub_gen.errors import SchemaError

_FOLDER = click.Path(file_okay=False, path_type=Path)


@contextmanager
def _reported_errors() -> Iterator[None]:
    """Settings and git problems are usage errors (2); invalid schemas fail the run (1)."""
    try:
        yield
    except (ConfigError, GitRefError) as exc:
        raise click.UsageError(str(exc)) from exc
    except SchemaError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        sys.exit(1)


def _config(schemas: Path | None) -> Config:
    return load_config(schemas)


@click.command("check-compat")
@click.argument("old", required=False)
@click.argument("new", required=False, type=_FOLDER)
@click.option(
    "--mode",
    type=click.Choice([m.value for m in Mode]),
    default=Mode.BACKWARD.value,
    show_default=True,
    help="backward: new schemas read old messages; forward: old code reads new ones; full: both.",
)
@click.option(
    "--against",
    metavar="REF",
    help="Compare with the schemas folder as it is at this git ref (OLD is then not given).",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
)
@click.option(
    "--strict-python",
    is_flag=True,
    help="Fail on wire-compatible changes that rename or drop generated Python names.",
)
def check_compat(
    old: str | None,
    new: Path | None,
    mode: str,
    against: str | None,
    output_format: str,
    strict_python: bool,
) -> None:
    """Report schema changes that break readers of OLD or NEW messages, per topic.

    OLD and NEW are schema folders; OLD may also be a git ref (the NEW folder as it was
    there). With --against REF, the one folder given (default: the configured schemas
    folder) is compared with itself at REF. Exit 0 when every topic passes the mode.
    """
    chosen = Mode(mode)
    with _reported_errors(), ExitStack() as stack:
        if against is not None:
            if new is not None:
                raise click.UsageError("with --against, give at most one folder")
            config = _config(Path(old) if old else None)
            old_topics = stack.enter_context(topics_at_ref(against, config))
        elif old is None:
            raise click.UsageError("give OLD and NEW schema folders, or --against REF")
        elif Path(old).is_dir():
            config = _config(new)
            old_topics = load_topics(load_config(Path(old)))
        else:
            config = _config(new)
            try:
                old_topics = stack.enter_context(topics_at_ref(old, config))
            except GitRefError as exc:
                raise click.UsageError(
                    f"OLD {old!r} is neither a folder nor a git ref: {exc}"
                ) from exc
        new_topics: dict[str, TopicSchema] = load_topics(config)
        findings = compare(old_topics, new_topics, chosen)
    if output_format == "json":
        click.echo(json_text(findings, mode=chosen, strict_python=strict_python))
    else:
        for line in text_lines(findings, strict_python=strict_python):
            click.echo(line)
        topics = len(old_topics.keys() | new_topics.keys())
        click.echo(
            summary(findings, mode=chosen, topics=topics, strict_python=strict_python), err=True
        )
    if any(f.fails(strict_python) for f in findings):
        sys.exit(1)
