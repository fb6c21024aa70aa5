"""``pubsub-runtime run MODULE:APP``: serve a ``FastPubSub`` app with uvicorn
(and ``pubsub-runtime publish MODULE:APP TOPIC``: send one message, see ``_publish_cli``).

Each of ``--workers`` processes has its own event loop, broker and streams (Pub/Sub spreads the
messages of a subscription over its streams). SIGTERM or SIGINT stops the server gracefully:
uvicorn stops accepting requests, then the app's lifespan stops the broker, which stops pulling,
lets in-flight handlers finish within the app's ``shutdown_timeout`` and nacks the rest. The
command then exits 0. It checks no credentials itself: the Google client libraries find them
(``PUBSUB_EMULATOR_HOST``, a key file, the metadata server) when the broker starts.
"""

from __future__ import annotations

import signal
import sys
from types import FrameType
from typing import Any, NoReturn

import click

from pubsub_runtime._cli_target import load_target, put_first_on_path, split_target
from pubsub_runtime._dlq_cli import dlq
from pubsub_runtime._logging import LEVELS, LogFormat, logging_config
from pubsub_runtime._metrics import multiprocess_dir_for_workers

STARTUP_FAILURE = 3  # uvicorn's exit code when the app cannot start


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="pubsub-runtime")
def main() -> None:
    """Run Pub/Sub services built with pubsub-runtime."""


main.add_command(dlq)


@main.command()
@click.argument("app", metavar="MODULE:APP")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    envvar="PUBSUB_RUNTIME_WORKERS",
    help="Worker processes, each with its own event loop.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    envvar="PORT",
    help="Port to bind (also read from $PORT).",
)
@click.option("--reload", is_flag=True, help="Restart when files change (development only).")
@click.option(
    "--log-level",
    type=click.Choice(LEVELS, case_sensitive=False),
    default="info",
    show_default=True,
    help="debug adds tracebacks to failure lines.",
)
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text: one line with key=value context; json: one object per line.",
)
@click.option("--access-log/--no-access-log", default=False, help="Log every HTTP request.")
@click.option(
    "--app-dir",
    type=click.Path(exists=True, file_okay=False),
    default=".",
    show_default=True,
    help="Directory put first on sys.path, to import MODULE from.",
)
def run(
    app: str,
    workers: int,
    host: str,
    port: int,
    reload: bool,
    log_level: str,
    log_format: LogFormat,
    access_log: bool,
    app_dir: str,
) -> None:
    """Serve MODULE:APP (a FastPubSub application) over HTTP and run its subscribers."""
    import uvicorn
    from uvicorn.supervisors import ChangeReload, Multiprocess

    if reload and workers > 1:
        raise click.UsageError("--reload runs a single process: drop --workers or --reload.")
    # Workers import the app themselves; fail here, once and clearly, if it cannot be. A single
    # process is left to uvicorn, which imports it (and reports what fails) itself.
    if workers > 1 and not callable(load_target(app, app_dir)):
        raise click.BadParameter(f"{app} is not an ASGI application", param_hint="MODULE:APP")
    split_target(app)
    app_dir = put_first_on_path(app_dir)  # spawned workers inherit sys.path

    level = log_level.lower()
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        reload_dirs=[app_dir] if reload else None,
        lifespan="on",
        log_config=logging_config(level, log_format, access_log=access_log),
        log_level=level,
        access_log=access_log,
        server_header=False,
    )
    server = uvicorn.Server(config)
    _exit_zero_on(signal.SIGTERM, signal.SIGINT)
    if config.should_reload:
        ChangeReload(config, target=server.run, sockets=[config.bind_socket()]).run()
        return
    if workers > 1:
        # Workers share one metrics folder, so /metrics adds up every process's counts.
        with multiprocess_dir_for_workers(workers):
            supervisor = Multiprocess(config, sockets=[config.bind_socket()])
            supervisor.run()
        if any(p.exitcode == STARTUP_FAILURE for p in supervisor.processes):
            _fail_startup()
        return
    server.run()
    if not server.started:
        _fail_startup()


@main.command()
@click.argument("app", metavar="MODULE:APP")
@click.argument("topic")
@click.option("--sample", is_flag=True, help="Send the generated sample of the topic.")
@click.option("--json", "json_file", type=click.File("r"), help="Read the message from FILE.")
@click.option("--data", metavar="JSON", help="The message as JSON text.")
@click.option("--attribute", "-a", multiple=True, metavar="KEY=VALUE", help="Repeatable.")
@click.option("--ordering-key", help="Ordering key of the message.")
@click.option(
    "--app-dir",
    type=click.Path(exists=True, file_okay=False),
    default=".",
    show_default=True,
    help="Directory put first on sys.path, to import MODULE from.",
)
def publish(
    app: str,
    topic: str,
    sample: bool,
    json_file: Any,
    data: str | None,
    attribute: tuple[str, ...],
    ordering_key: str | None,
    app_dir: str,
) -> None:
    """Publish one message to TOPIC, encoded with the codec of MODULE:APP's broker."""
    from pubsub_runtime._publish_cli import json_source, publish_message

    if sum((sample, json_file is not None, data is not None)) != 1:
        raise click.UsageError("give the message with exactly one of --sample, --json, --data")
    message_id = publish_message(
        app,
        topic,
        sample=sample,
        json_text=json_source(data, json_file),
        attributes=attribute,
        ordering_key=ordering_key,
        app_dir=app_dir,
    )
    click.echo(f"published message {message_id} to {topic}")


def _exit_zero_on(*signals: signal.Signals) -> None:
    """A stop signal means "stop": exit 0.

    uvicorn re-raises the signal that stopped it once the graceful shutdown is over, which
    with the default handlers would end the process by SIGTERM (or KeyboardInterrupt); and a
    signal arriving before uvicorn installs its own handlers must still stop the process.
    """

    def stop(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(0)

    for sig in signals:
        signal.signal(sig, stop)


def _fail_startup() -> NoReturn:
    click.echo("pubsub-runtime: the application failed to start (see the log above).", err=True)
    sys.exit(STARTUP_FAILURE)
