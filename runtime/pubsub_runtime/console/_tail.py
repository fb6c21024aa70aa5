"""The live tail: a topic's new messages, decoded, read through a temporary subscription.

The service's own subscriptions are never read, so its consumers see every message as before.
A stream lasts ``_STREAM_SECONDS`` and the browser's EventSource reconnects with the last event
id, which names the temporary subscription: the tail goes on without a gap, and a server that
is shutting down is not held open by a console tab. The subscription is deleted when the page
goes away, and expires after a day of disuse should that deletion never happen.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from google.api_core.exceptions import AlreadyExists, GoogleAPICallError, NotFound
from google.protobuf import duration_pb2
from google.pubsub_v1 import ExpirationPolicy, Subscription

from pubsub_runtime._attributes import SCHEMA_ENCODING_ATTRIBUTE
from pubsub_runtime._config import TopicCodec, subscription_path, topic_path
from pubsub_runtime._transport import close_client, new_subscriber_client

if TYPE_CHECKING:
    from google.pubsub_v1 import ReceivedMessage, SubscriberAsyncClient

    from pubsub_runtime._broker import PubSubBroker

__all__ = ["decoded_message", "tail_events"]

_PREFIX = "console-tail-"
_STREAM_SECONDS = 10.0
_IDLE_SLEEP = 0.3
_RPC_TIMEOUT = 30.0
_NAME = re.compile(r"^console-tail-[a-z0-9-]{1,200}$")


def decoded_message(message: Any, codec: TopicCodec | None) -> dict[str, Any]:
    """A received ``PubsubMessage`` as JSON: its payload decoded with the topic's model."""
    attributes = dict(message.attributes)
    body: dict[str, Any] = {
        "message_id": message.message_id,
        "publish_time": message.publish_time.isoformat() if message.publish_time else None,
        "ordering_key": message.ordering_key or None,
        "attributes": dict(sorted(attributes.items())),
    }
    if codec is not None:
        try:
            encoding = attributes.get(SCHEMA_ENCODING_ATTRIBUTE)
            payload = codec.decode(message.data, encoding=encoding)
            body["payload"] = payload.model_dump(mode="json", by_alias=True)
            body["model"] = type(payload).__name__
            return body
        except Exception as exc:  # shown, not raised: a tail also shows what does not decode
            body["decode_error"] = " ".join(str(getattr(exc, "reason", None) or exc).split())
    try:
        body["data"] = message.data.decode()
    except UnicodeDecodeError:
        body["data"] = repr(message.data)
    return body


def _event(kind: str, data: Mapping[str, Any], event_id: str) -> str:
    return f"event: {kind}\nid: {event_id}\ndata: {json.dumps(data)}\n\n"


async def _subscribe(
    client: SubscriberAsyncClient, broker: PubSubBroker, topic: str, resume: str | None
) -> str:
    """The temporary subscription: the one named by ``resume`` if it is still there."""
    project = broker.project_id
    if resume and _NAME.match(resume):
        with contextlib.suppress(NotFound):
            existing = await client.get_subscription(
                subscription=subscription_path(project, resume), timeout=_RPC_TIMEOUT
            )
            if existing.topic == topic_path(project, topic):
                return resume
    short = re.sub(r"[^a-z0-9-]", "-", topic.rsplit("/", 1)[-1].lower())[:150]
    name = f"{_PREFIX}{short}-{uuid.uuid4().hex[:8]}"
    with contextlib.suppress(AlreadyExists):
        await client.create_subscription(
            request=Subscription(
                name=subscription_path(project, name),
                topic=topic_path(project, topic),
                ack_deadline_seconds=10,
                expiration_policy=ExpirationPolicy(ttl=duration_pb2.Duration(seconds=86400)),
            ),
            timeout=_RPC_TIMEOUT,
        )
    return name


async def tail_events(
    broker: PubSubBroker,
    topic: str,
    resume: str | None,
    disconnected: Callable[[], Awaitable[bool]],
) -> AsyncIterator[str]:
    """Server-sent events: ``ready`` once subscribed, then a ``message`` per message."""
    client = new_subscriber_client(broker._settings)
    codec = broker.topics.get(topic)
    name = None
    keep = False
    try:
        name = await _subscribe(client, broker, topic, resume)
        path = subscription_path(broker.project_id, name)
        yield "retry: 500\n\n" + _event("ready", {"subscription": name}, name)
        ends = time.monotonic() + _STREAM_SECONDS
        while time.monotonic() < ends:
            if await disconnected():
                return
            response = await client.pull(
                subscription=path, max_messages=50, return_immediately=True, timeout=_RPC_TIMEOUT
            )
            received: list[ReceivedMessage] = list(response.received_messages)
            if not received:
                await asyncio.sleep(_IDLE_SLEEP)
                continue
            await client.acknowledge(
                subscription=path, ack_ids=[r.ack_id for r in received], timeout=_RPC_TIMEOUT
            )
            for r in received:
                yield _event("message", decoded_message(r.message, codec), name)
        keep = True  # the browser reconnects and goes on reading this subscription
    except GoogleAPICallError as exc:
        yield _event("failure", {"error": str(exc.message or exc)}, name or "")
    finally:
        # A task of its own: the request's cancel scope (the page went away) cancels any await
        # made here, and the subscription must still be deleted.
        doomed = None if name is None or keep else subscription_path(broker.project_id, name)
        task = asyncio.get_running_loop().create_task(_close(client, doomed))
        _CLEANUPS.add(task)
        task.add_done_callback(_CLEANUPS.discard)


_CLEANUPS: set[asyncio.Task[None]] = set()  # referenced until done, so none is collected early


async def _close(client: SubscriberAsyncClient, subscription: str | None) -> None:
    try:
        if subscription is not None:
            with contextlib.suppress(GoogleAPICallError):
                await client.delete_subscription(subscription=subscription, timeout=_RPC_TIMEOUT)
    finally:
        await close_client(client)
