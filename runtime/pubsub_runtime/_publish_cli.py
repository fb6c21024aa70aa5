"""``pubsub-runtime publish MODULE:APP TOPIC``: send one message from the terminal.

The message is what the app's broker would publish: the topic's model, built from the
generated sample (``--sample``) or from JSON (``--json FILE``, ``--data TEXT``), validated, and
encoded with the topic's codec (with the codec's attributes), through ``PubSubBroker.publish``.
So a running service can be tried with the messages it will really receive.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Mapping, Sequence
from typing import Any

import click
from google.api_core.exceptions import GoogleAPICallError, NotFound
from pydantic import ValidationError

from pubsub_runtime._broker import PubSubBroker
from pubsub_runtime._cli_target import load_broker
from pubsub_runtime._config import TopicCodec, topic_path
from pubsub_runtime._errors import EncodeError, PubSubUnreachable

__all__ = ["publish_message", "sample_of"]


def publish_message(
    target: str,
    topic: str,
    *,
    sample: bool,
    json_text: str | None,
    attributes: Sequence[str],
    ordering_key: str | None,
    app_dir: str,
) -> str:
    """Publish one message to ``topic`` with the broker of ``target`` (``MODULE:APP``).

    Exactly one of ``sample`` and ``json_text`` gives the message. Returns the message id;
    every failure is a ``click.ClickException`` with a one-line reason.
    """
    broker = load_broker(target, app_dir)
    spec = broker.topics.get(topic)
    if spec is None:
        known = ", ".join(sorted(broker.topics)) or "none"
        raise click.BadParameter(
            f"{topic!r} is not a topic of {target}'s broker (its topics: {known})",
            param_hint="TOPIC",
        )
    message = sample_of(spec) if sample else _parse(spec, json_text or "")
    extra = _attributes(attributes)
    try:
        return asyncio.run(_publish(broker, topic, message, extra, ordering_key))
    except PubSubUnreachable as exc:
        raise click.ClickException(str(exc)) from None
    except EncodeError as exc:
        raise click.ClickException(f"cannot encode the message: {exc}") from None
    except NotFound:
        raise click.ClickException(
            f"topic {topic_path(broker.project_id, topic)} does not exist: start the service "
            "first (it creates its topics and subscriptions), or check PUBSUB_PROJECT_ID"
        ) from None
    except GoogleAPICallError as exc:
        raise click.ClickException(f"Pub/Sub refused the message: {exc}") from None


async def _publish(
    broker: PubSubBroker,
    topic: str,
    message: Any,
    attributes: Mapping[str, str],
    ordering_key: str | None,
) -> str:
    await broker.check_reachable()
    try:
        return await broker.publish(topic, message, attributes or None, ordering_key)
    finally:
        await broker.stop()  # sends what is buffered and closes the client


def sample_of(spec: TopicCodec) -> Any:
    """The generated sample of ``spec``'s topic: ``sample_<module>()`` of the package's
    ``samples`` module, found from the module of the topic's model."""
    package, _, module = spec.model.__module__.rpartition(".")
    function = f"sample_{module}"
    where = f"{package}.samples" if package else "samples"
    try:
        samples = importlib.import_module(where)
    except ImportError:
        samples = None
    make = getattr(samples, function, None)
    if make is None:
        raise click.UsageError(
            f"no generated sample for topic {spec.name!r} ({where}.{function} is missing): "
            "give the message with --json FILE or --data '{...}'"
        )
    return make()


def _parse(spec: TopicCodec, text: str) -> Any:
    try:
        return spec.model.model_validate_json(text)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or '(message)'}: {error['msg']}"
            for error in exc.errors()
        )
        raise click.BadParameter(
            f"not a {spec.model.__qualname__} of topic {spec.name!r}: {problems}",
            param_hint="the message",
        ) from None


def _attributes(pairs: Sequence[str]) -> dict[str, str]:
    attributes: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"expected KEY=VALUE, got {pair!r}", param_hint="--attribute")
        attributes[key] = value
    return attributes


def json_source(data: str | None, json_file: Any) -> str | None:
    """The message's JSON text from ``--data`` or ``--json FILE``."""
    if data is not None:
        return data
    if json_file is not None:
        text: str = json_file.read()
        return text
    return None
