"""The ``pubsub-gen`` command. ``pubsub-gen [SCHEMAS] ...`` is short for ``pubsub-gen generate``.

Exit status: 0 done; 1 invalid schemas or (with --check/--diff) stale files; 2 usage errors.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import click

from pubsub_gen import __version__
from pubsub_gen.config import ENCODINGS, ConfigError, load_config
from pubsub_gen.errors import SampleNote, SchemaError, SchemaWarning
from pubsub_gen.format import FormatError
from pubsub_gen.pipeline import run
from pubsub_gen.write import OutputError

# The other commands live in their own module, imported only when one of them runs.
_LAZY_COMMANDS = {
    "check-compat": "check_compat",
    "asyncapi": "asyncapi",
    "push-schemas": "push_schemas",
    "forget-revisions": "forget_revisions",
}


class _DefaultGroup(click.Group):
    """A group whose first argument, when it is not a command, goes to ``generate``."""

    default_command = "generate"

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        known = {*self.commands, *_LAZY_COMMANDS, "-h", "--help", "--version"}
        if not args or args[0] not in known:
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *_LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in _LAZY_COMMANDS and cmd_name not in self.commands:
            from pubsub_gen import commands

            self.add_command(getattr(commands, _LAZY_COMMANDS[cmd_name]), cmd_name)
        return super().get_command(ctx, cmd_name)


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
