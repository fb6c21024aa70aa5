"""The ``pubsub-gen`` command line: parses options, then calls ``pipeline.run`` or a command.

``pubsub-gen [SCHEMAS] ...`` is short for ``pubsub-gen generate``. The commands beside it
(``check-compat``, ``asyncapi``, ``push-schemas``, ``forget-revisions``) do their work in
``pubsub_gen.commands``, imported only when one of them runs.

Exit status: 0 done; 1 invalid schemas, a failed check or (with --check/--diff) stale files;
2 usage errors (click's own, and unusable settings).
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import click

from pubsub_gen import __version__
from pubsub_gen.config import ENCODINGS, Config, ConfigError, load_config
from pubsub_gen.errors import SampleNote, SchemaError, SchemaWarning
from pubsub_gen.format import FormatError
from pubsub_gen.pipeline import run
from pubsub_gen.write import OutputError


class _DefaultGroup(click.Group):
    """A group whose first argument, when it is not a command, goes to ``generate``."""

    default_command = "generate"

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        known = {*self.commands, "-h", "--help", "--version"}
        if not args or args[0] not in known:
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)


@click.group(cls=_DefaultGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pubsub-gen")
def main() -> None:
    """Generate typed Pub/Sub code (models, TopicSpecs, publishers) from Avro and JSON schemas."""
    warnings.formatwarning = _format_warning


_python_format_warning = warnings.formatwarning


def _format_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    line: str | None = None,
) -> str:
    """A schema warning is one line, ``path:pointer: warning: ...``, like a schema problem."""
    if issubclass(category, SchemaWarning):
        where, _, text = str(message).partition(": ")
        return f"{where}: warning: {text}\n"
    return _python_format_warning(message, category, filename, lineno, line)


@main.command()
@click.argument("schemas", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Output folder.")
@click.option("--package", help="Dotted name of the generated package.")
@click.option(
    "--encoding",
    type=click.Choice(ENCODINGS, case_sensitive=False),
    help="Default wire encoding of Avro topics.",
)
@click.option("--check", is_flag=True, help="Write nothing; exit 1 listing stale files.")
@click.option("--diff", is_flag=True, help="Write nothing; print what would change.")
@click.option(
    "--no-cache",
    is_flag=True,
    help="Neither read nor write OUT/.pubsub-gen-cache (content hashes of the last run).",
)
def generate(
    schemas: Path | None,
    out: Path | None,
    package: str | None,
    encoding: str | None,
    check: bool,
    diff: bool,
    no_cache: bool,
) -> None:
    """Generate the package from SCHEMAS (default: [tool.pubsub-gen] schemas)."""
    if schemas is not None and not schemas.is_dir():
        raise click.BadParameter(f"{schemas} is not a folder", param_hint="SCHEMAS")
    try:
        config = load_config(schemas, out=out, package=package, encoding=encoding)
        notes: list[warnings.WarningMessage] = []
        try:
            with warnings.catch_warnings(record=True) as notes:
                warnings.simplefilter("always", SampleNote)
                result = run(
                    config, version=__version__, check=check, diff=diff, cache=not no_cache
                )
        finally:
            # Shown even when a schema problem stops the run (the recorder is gone by now).
            _show(notes)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    except SchemaError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        count = len(exc.problems)
        click.echo(f"{count} problem{'s' * (count != 1)} found; nothing written.", err=True)
        raise SystemExit(1) from None
    except (FormatError, OutputError) as exc:
        click.echo(str(exc), err=True)
        raise SystemExit(1) from None
    _report(result, check=check, diff=diff)


def _show(notes: list[warnings.WarningMessage]) -> None:
    for note in notes:
        if issubclass(note.category, SampleNote):
            click.echo(f"note: no sample built for {note.message}", err=True)
        else:
            warnings.showwarning(note.message, note.category, note.filename, note.lineno)


def _report(result: Any, *, check: bool, diff: bool) -> None:
    if diff and result.diff:
        click.echo(result.diff, nl=False)
    if check or diff:
        for line in result.stale:
            click.echo(line, err=True)
        if result.stale:
            click.echo("generated code is out of date: run pubsub-gen to update it", err=True)
            raise SystemExit(1)
        click.echo(f"{len(result.unchanged)} files up to date")
        return
    for path in result.written:
        click.echo(f"wrote {path}")
    for path in result.removed:
        click.echo(f"removed {path}")
    if result.lock is not None:
        click.echo(f"wrote {result.lock}")
    if not result.written and not result.removed and result.lock is None:
        click.echo(f"{len(result.unchanged)} files up to date")


_FOLDER = click.Path(exists=True, file_okay=False, path_type=Path)


# The values of ``commands.check_compat.Mode`` (that package is imported only when it runs).
_MODES = ("backward", "forward", "full")


@contextmanager
def _reported_errors(*usage: type[Exception]) -> Iterator[None]:
    """Settings problems (and ``usage``) are usage errors (2); invalid schemas fail the run (1)."""
    try:
        yield
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from exc
    except usage as exc:
        raise click.UsageError(str(exc)) from exc
    except SchemaError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        count = len(exc.problems)
        click.echo(f"{count} problem{'s' * (count != 1)} found.", err=True)
        sys.exit(1)


def _config(schemas: Path | None) -> Config:
    return load_config(schemas)


@main.command("check-compat")
@click.argument("old", required=False)
@click.argument("new", required=False, type=_FOLDER)
@click.option(
    "--mode",
    type=click.Choice(_MODES),
    default="backward",
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
    from pubsub_gen.commands.check_compat import Mode, TopicSchema, compare
    from pubsub_gen.commands.check_compat.gitref import GitRefError
    from pubsub_gen.commands.check_compat.report import json_text, summary, text_lines
    from pubsub_gen.commands.check_compat.sources import load_topics, topics_at_ref

    chosen = Mode(mode)
    with _reported_errors(GitRefError), ExitStack() as stack:
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


@main.command("asyncapi")
@click.argument("schemas", required=False, type=_FOLDER)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the document here (YAML; JSON when the name ends in .json). Default: stdout.",
)
@click.option("--title", help="info.title (default: [project] name, else the package).")
@click.option("--api-version", help="info.version (default: [project] version, else 1.0.0).")
@click.option(
    "--project",
    "project_id",
    help="Google Cloud project: adds googlepubsub bindings naming the registry schemas.",
)
def asyncapi(
    schemas: Path | None,
    out: Path | None,
    title: str | None,
    api_version: str | None,
    project_id: str | None,
) -> None:
    """Write an AsyncAPI 3.0 document of the topics, their messages and operations."""
    from pubsub_gen.commands import asyncapi as asyncapi_document
    from pubsub_gen.load import load_project

    with _reported_errors():
        config = _config(schemas)
        project = load_project(config)
    default_title, default_version = asyncapi_document.project_metadata(config)
    document = asyncapi_document.build_document(
        project,
        title=title or default_title,
        version=api_version or default_version,
        project_id=project_id,
    )
    text = asyncapi_document.render(document, out)
    if out is None:
        click.echo(text, nl=False)
    elif asyncapi_document.write_if_changed(out, text):
        click.echo(f"wrote {out}", err=True)
    else:
        click.echo(f"{out} is up to date", err=True)


def _project_id(option: str | None) -> str:
    for value in (
        option,
        os.environ.get("PUBSUB_PROJECT_ID"),
        os.environ.get("GOOGLE_CLOUD_PROJECT"),
    ):
        if value:
            return value
    raise click.UsageError(
        "no Google Cloud project: pass --project or set PUBSUB_PROJECT_ID / GOOGLE_CLOUD_PROJECT"
    )


@main.command("push-schemas")
@click.argument("schemas", required=False, type=_FOLDER)
@click.option("--project", "project_option", help="Google Cloud project id.")
@click.option(
    "--dry-run", is_flag=True, help="Print the plan, one line per action; change nothing."
)
def push_schemas(schemas: Path | None, project_option: str | None, dry_run: bool) -> None:
    """Create or revise the Avro schemas in Pub/Sub's registry and bind the topics to them.

    Records the registry's revision ids in the revision lock file (pubsub-gen.lock) and sets
    each topic's accepted revision range to the revisions recorded there.

    Honours PUBSUB_EMULATOR_HOST. JSON Schema topics are skipped: Pub/Sub's registry holds
    Avro (and Protocol Buffer) schemas only.
    """
    from pubsub_gen.commands.push_schemas import PushError
    from pubsub_gen.commands.push_schemas import push_schemas as push
    from pubsub_gen.load import load_project

    project_id = _project_id(project_option)
    with _reported_errors():
        config = _config(schemas)
        project = load_project(config)
    from google.api_core.exceptions import GoogleAPICallError
    from google.auth.exceptions import GoogleAuthError

    try:
        push(
            project,
            project_id,
            dry_run=dry_run,
            echo=click.echo,
            lock_path=config.lock,
            note=lambda line: click.echo(line, err=True),
        )
    except PushError as exc:
        click.echo(f"push-schemas: {exc}", err=True)
        sys.exit(1)
    except GoogleAuthError as exc:
        # No credentials (and no PUBSUB_EMULATOR_HOST): say so in one line, not a traceback.
        first_line = str(exc).split(". ")[0]
        click.echo(f"push-schemas: no Google Cloud credentials: {first_line}", err=True)
        sys.exit(1)
    except GoogleAPICallError as exc:
        click.echo(f"push-schemas: {exc.message or exc}", err=True)
        sys.exit(1)
    if dry_run:
        click.echo("dry run: nothing was changed", err=True)


@main.command("forget-revisions")
@click.argument("schemas", required=False, type=_FOLDER)
@click.option("--keep-last", type=click.IntRange(min=1), help="Keep the last N revisions.")
@click.option(
    "--older-than",
    metavar="REVISION_ID",
    help="Forget the revisions recorded before this registry revision id.",
)
@click.option("--topic", "topics", multiple=True, help="Only this topic (repeatable).")
def forget_revisions(
    schemas: Path | None, keep_last: int | None, older_than: str | None, topics: tuple[str, ...]
) -> None:
    """Drop schema revisions no longer in use from the revision lock file (pubsub-gen.lock).

    Messages of a forgotten revision no longer decode (run pubsub-gen afterwards, and
    push-schemas to narrow the topic's accepted range). A topic's current revision is kept.
    """
    from pubsub_gen.commands import lock as lockfile

    if keep_last is None and older_than is None:
        raise click.UsageError("give --keep-last N or --older-than REVISION_ID")
    with _reported_errors():
        config = _config(schemas)
        current = lockfile.read(config.lock)
        known = [r.revision_id for revisions in current.topics.values() for r in revisions]
        if older_than is not None and older_than not in known:
            raise ConfigError(f"{config.lock}: no revision {older_than!r}")
        updated, dropped = lockfile.forget_revisions(
            current, keep_last=keep_last, older_than=older_than, topics=topics or None
        )
    for line in dropped:
        click.echo(f"forgot {line}")
    if lockfile.write_if_changed(config.lock, lockfile.render(updated)):
        click.echo(f"wrote {config.lock} (run pubsub-gen to update the generated code)")
    else:
        click.echo("nothing to forget")
