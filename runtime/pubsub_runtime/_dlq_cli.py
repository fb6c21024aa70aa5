"""``pubsub-runtime dlq MODULE:APP ...``: the dead-letter functions of ``_deadletter`` as commands.

MODULE:APP names a ``FastPubSub`` app or a ``PubSubBroker``; its configuration tells which
subscriptions have dead-letter topics and which model each topic carries. Exit codes: 0 done,
1 a replay stopped on a failed publish (nothing lost; the error says what is left), 2 usage.
"""

from __future__ import annotations

import asyncio
import json
import sys

import click

from pubsub_runtime._broker import PubSubBroker
from pubsub_runtime._cli_target import load_broker
from pubsub_runtime._deadletter import (
    DEFAULT_MAX_REPLAYS,
    RefusedMessage,
    ReplayedMessage,
    count_dead_letters,
    dead_letter_routes,
    parse_rate,
    peek_dead_letters,
    purge_dead_letters,
    replay_dead_letters,
)

__all__ = ["dlq"]


@click.group()
@click.argument("app", metavar="MODULE:APP")
@click.option(
    "--app-dir",
    type=click.Path(exists=True, file_okay=False),
    default=".",
    show_default=True,
    help="Directory put first on sys.path, to import MODULE from.",
)
@click.pass_context
def dlq(ctx: click.Context, app: str, app_dir: str) -> None:
    """Look into dead-letter subscriptions, replay their messages, or purge them.

    Messages are decoded with the models of the app's topics. --filter takes Pub/Sub's filter
    syntax on the dead-lettered message's attributes: attributes.KEY = "v", attributes.KEY !=
    "v", attributes:KEY (has the key), hasPrefix(attributes.KEY, "p"), NOT, AND, OR and
    parentheses; it is parsed, never evaluated as code.
    """
    ctx.obj = load_broker(app, app_dir)


@dlq.command("list")
@click.pass_obj
def list_routes(broker: PubSubBroker) -> None:
    """The app's subscriptions that dead-letter, and how many messages each DLQ holds."""
    routes = dead_letter_routes(broker)
    if not routes:
        click.echo("no subscriber of this app has a dead-letter topic")
        return

    async def counts() -> list[int]:
        return [await count_dead_letters(broker, r.dead_letter_subscription) for r in routes]

    found = asyncio.run(counts())
    click.echo("SUBSCRIPTION\tTOPIC\tDEAD-LETTER SUBSCRIPTION\tMESSAGES")
    for route, count in zip(routes, found, strict=True):
        shown = f"{count}+" if count >= 1000 else str(count)
        click.echo(
            f"{route.subscription}\t{route.topic}\t{route.dead_letter_subscription}\t{shown}"
        )


@dlq.command()
@click.argument("subscription")
@click.option("--limit", type=click.IntRange(min=1), default=10, show_default=True)
@click.pass_obj
def peek(broker: PubSubBroker, subscription: str, limit: int) -> None:
    """Show messages of SUBSCRIPTION decoded (a JSON array); acks nothing."""
    letters = asyncio.run(peek_dead_letters(broker, subscription, limit=limit))
    click.echo(json.dumps([letter.to_json() for letter in letters], indent=2))


@dlq.command()
@click.argument("subscription")
@click.option("--to", "to", metavar="TOPIC", help="Publish to TOPIC instead of each source topic.")
@click.option("--filter", "filter_", metavar="EXPR", help="Only messages whose attributes match.")
@click.option("--rate", metavar="N/s", help="At most N publishes per second.")
@click.option("--dry-run", is_flag=True, help="Show what would be replayed; change nothing.")
@click.option(
    "--max-replays",
    type=click.IntRange(min=0),
    default=DEFAULT_MAX_REPLAYS,
    show_default=True,
    help="Refuse messages already replayed this many times.",
)
@click.option("--limit", type=click.IntRange(min=1), help="Replay at most this many messages.")
@click.pass_obj
def replay(
    broker: PubSubBroker,
    subscription: str,
    to: str | None,
    filter_: str | None,
    rate: str | None,
    dry_run: bool,
    max_replays: int,
    limit: int | None,
) -> None:
    """Republish the messages of SUBSCRIPTION to their source topics, acking each after."""
    try:
        per_second = None if rate is None else parse_rate(rate)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--rate") from exc
    verb = "would replay" if dry_run else "replayed"

    def show(outcome: ReplayedMessage | RefusedMessage) -> None:
        if isinstance(outcome, ReplayedMessage):
            new = f" as {outcome.new_message_id}" if outcome.new_message_id else ""
            click.echo(f"{verb} {outcome.message_id} to {outcome.topic}{new}")
        else:
            click.echo(f"refused {outcome.message_id}: {outcome.reason}")

    try:
        report = asyncio.run(
            replay_dead_letters(
                broker,
                subscription,
                to=to,
                filter=filter_,
                rate=per_second,
                dry_run=dry_run,
                max_replays=max_replays,
                limit=limit,
                on_message=show,
            )
        )
    except ValueError as exc:  # a filter that does not parse
        raise click.BadParameter(str(exc), param_hint="--filter") from exc
    click.echo(
        f"{verb} {len(report.replayed)}, refused {len(report.refused)}, "
        f"not matching the filter {report.skipped}"
    )
    if report.error:
        click.echo(f"error: {report.error}", err=True)
        sys.exit(1)


@dlq.command()
@click.argument("subscription")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_obj
def purge(broker: PubSubBroker, subscription: str, yes: bool) -> None:
    """Ack (delete) every message of SUBSCRIPTION."""
    if not yes:
        click.confirm(f"Delete every message of {subscription}?", abort=True)
    purged = asyncio.run(purge_dead_letters(broker, subscription))
    click.echo(f"purged {purged} message(s) from {subscription}")
