"""Schema revisions fetched from Pub/Sub's registry while running (forward compatibility).

A message of a topic bound to a schema names the revision that validated it
(``googclient_schemarevisionid``). When the subscriber's ``TopicSpec`` does not know that
revision (a newer publisher deployed first), its definition is fetched here, once per revision
for the process, and handed to the spec (``TopicSpec.add_revision``); messages of that revision
received meanwhile wait for the same fetch. A registry that cannot be reached is logged once
per revision; the caller nacks, so the message comes back once it can be read.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from pubsub_runtime._transport import close_client

if TYPE_CHECKING:
    from pubsub_runtime._errors import UnknownWriterSchema

__all__ = ["RegistryUnavailable", "RevisionMissing", "fetch_revision", "learn_revision"]

logger = logging.getLogger("pubsub_runtime")
_TIMEOUT: Final = 10.0

_definitions: dict[str, str] = {}  # "projects/P/schemas/S@R" -> definition, for the process
_pending: dict[str, asyncio.Future[str]] = {}
_reported: set[str] = set()  # revisions whose unreachable registry was logged


class RegistryUnavailable(Exception):
    """The registry could not be asked (network, permissions, timeout): try again later."""


class RevisionMissing(Exception):
    """The registry answered: no such schema revision (the message cannot be read)."""


async def fetch_revision(
    schema_name: str, revision_id: str, client_factory: Callable[[], Any]
) -> str:
    """The definition of ``schema_name`` at ``revision_id`` (one registry call per revision)."""
    key = f"{schema_name}@{revision_id}"
    found = _definitions.get(key)
    if found is not None:
        return found
    pending = _pending.get(key)
    if pending is None or pending.get_loop() is not asyncio.get_running_loop():
        pending = _pending[key] = asyncio.ensure_future(_fetch(key, client_factory))
    try:
        return await asyncio.shield(pending)
    finally:
        if pending.done() and _pending.get(key) is pending:
            del _pending[key]  # a failure is asked again by the next message


async def learn_revision(
    spec: Any, unknown: UnknownWriterSchema, client_factory: Callable[[], Any]
) -> bool:
    """Fetch the registry revision ``unknown`` names and give it to ``spec``.

    False when the message names no registry revision (nothing to ask). Raises
    ``RegistryUnavailable`` when the registry cannot be asked, ``RevisionMissing`` when it has
    no such revision.
    """
    if not (unknown.revision_id and unknown.schema_name):
        return False
    definition = await fetch_revision(unknown.schema_name, unknown.revision_id, client_factory)
    add_revision = getattr(spec, "add_revision", None)
    if add_revision is not None:
        add_revision(unknown.revision_id, definition)
    return True


async def _fetch(key: str, client_factory: Callable[[], Any]) -> str:
    from google.api_core import exceptions

    try:
        client = client_factory()
    except Exception as exc:
        raise _unavailable(key, exc) from exc
    try:
        # bounded here too: a channel that cannot connect may not honour the call's timeout
        schema = await asyncio.wait_for(client.get_schema(name=key, timeout=_TIMEOUT), _TIMEOUT)
    except (exceptions.NotFound, exceptions.InvalidArgument) as exc:
        raise RevisionMissing(f"schema revision {key} is not in the registry") from exc
    except Exception as exc:  # unreachable, refused, timed out, no credentials
        raise _unavailable(key, exc) from exc
    finally:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(close_client(client), _TIMEOUT)
    _definitions[key] = definition = str(schema.definition)
    logger.info("fetched schema revision %s from the registry", key, extra={"schema": key})
    return definition


def _unavailable(key: str, exc: BaseException) -> RegistryUnavailable:
    reason = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}".rstrip(": ")
    if key not in _reported:
        _reported.add(key)
        logger.warning(
            "cannot fetch schema revision %s from the registry (%s); its messages are nacked "
            "until it can be read",
            key,
            reason,
            extra={"schema": key},
        )
    return RegistryUnavailable(f"schema revision {key}: registry unreachable ({reason})")
