"""The ``pubsub-gen`` console command: a quick answer when nothing changed, else ``cli.main``.

A plain generation (``pubsub-gen [generate] [SCHEMAS] [--out DIR] [--package NAME]
[--encoding E]``) whose cache says the output is up to date (``commands.cache``) prints what
``cli`` prints for it, ``N files up to date``, without importing click, the pipeline or
anything it renders with: on a no-op run those imports (and compiling their sources, when no
bytecode is kept) are most of the time. Anything else, or any doubt (an option it does not
parse, settings it cannot load), goes to ``cli.main`` unchanged, which also reports errors;
a run that will build JSON Schema models starts their worker process first
(``pubsub_gen.worker.prestart``), so that it imports its library while this one imports the
rest.
"""

from __future__ import annotations

import gc
import os
import sys

_VALUED = ("--out", "--package", "--encoding")
# What ``cli`` accepts for --encoding (``config.ENCODINGS``, compared without case).
_ENCODINGS = ("json", "binary")


def main() -> None:
    request = _plain_generate(sys.argv[1:])
    if request is None:
        from pubsub_gen.cli import main as cli

        cli()
        return
    if (unchanged := _unchanged(*request)) is not None:
        _exit(0, f"{unchanged} files up to date\n")
    # One generation, then ``_exit``: the collector would keep walking everything the run
    # imported and built (a sixth of this process's time, measured on 200 topics) to free
    # the few cycles it makes (about 5 MB by the end of that run).
    gc.disable()
    from pubsub_gen.cli import main as cli

    try:
        cli()
    except SystemExit as done:
        if not isinstance(done.code, int | None):
            raise  # click reports a message this way: the usual exit prints it
        _exit(done.code or 0)
    _exit(0)


def _exit(code: int, text: str = "") -> None:
    """Print ``text`` and end a generation without the interpreter's tear-down of everything
    the run imported and built (a tenth of a second or more, after the work is done): the
    worker is stopped, the output flushed, and every file the run wrote is closed by then."""
    worker = sys.modules.get("pubsub_gen.worker")
    if worker is not None:
        worker.discard()
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:  # a closed pipe: exit 1 quietly, as click does
        code = 1
    os._exit(code)


def _plain_generate(args: list[str]) -> tuple[str | None, dict[str, str]] | None:
    """SCHEMAS and the options of a plain ``generate``, as ``cli`` would take them; None for
    anything else (another command, --help, --check, --diff, --no-cache, an odd value)."""
    if args and args[0] == "generate":
        args = args[1:]
    schemas: str | None = None
    options: dict[str, str] = {}
    pending = list(args)
    while pending:
        token = pending.pop(0)
        if not token.startswith("-"):
            if schemas is not None:
                return None  # click refuses a second folder
            schemas = token
            continue
        name, equals, value = token.partition("=")
        if name not in _VALUED or name in options:
            return None
        if not equals:
            if not pending:
                return None
            value = pending.pop(0)
        if not value or value.startswith("-"):
            return None
        options[name] = value
    if "--encoding" in options and options["--encoding"].lower() not in _ENCODINGS:
        return None
    # click's checks of the folders: what it would refuse goes to it, to say so.
    if schemas is not None and not _readable_folder(schemas):
        return None
    out = options.get("--out")
    if out is not None and os.path.lexists(out) and not _readable_folder(out):
        return None  # --out may name a folder still to make
    return schemas, options


def _readable_folder(path: str) -> bool:
    return os.path.isdir(path) and os.access(path, os.R_OK)


def _unchanged(schemas: str | None, options: dict[str, str]) -> int | None:
    """The number of files up to date when the cache says the run has nothing to do, else
    None; then, if the run will build JSON Schema models, their worker is started."""
    from pubsub_gen import __version__
    from pubsub_gen.commands import cache
    from pubsub_gen.config import ConfigError, load_config

    try:
        config = load_config(
            schemas,
            out=options.get("--out"),
            package=options.get("--package"),
            encoding=options.get("--encoding"),
        )
    except ConfigError:
        return None  # cli reports it
    quick = cache.quick_check(config, __version__)
    if quick.up_to_date is not None:
        return quick.up_to_date
    from pubsub_gen import worker

    if quick.json_files >= worker.MIN_TOPICS and not quick.json_models_cached:
        worker.prestart()
    return None
