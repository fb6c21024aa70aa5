"""Async GAPIC clients, created inside the event loop that uses them.

With ``PUBSUB_EMULATOR_HOST`` set, the channel is built here (insecure, no message size limits,
a 4 MiB metadata limit, as the GAPIC transport does for the real service) instead of the
client's bare default channel. Without keepalive pings, unlike the real service's channel:
the emulator's server accepts one every 5 minutes at most, and answered the GAPIC's 30 s
with a ``too_many_pings`` GOAWAY a minute into every session (an error line from gRPC, and
every stream of the channel cut); a connection on the same machine has no idle timeout to
keep open.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from typing import Any

import grpc
from google.auth.exceptions import DefaultCredentialsError
from google.pubsub_v1 import PublisherAsyncClient, SubscriberAsyncClient
from google.pubsub_v1.services.publisher.transports import PublisherGrpcAsyncIOTransport
from google.pubsub_v1.services.subscriber.transports import SubscriberGrpcAsyncIOTransport

from pubsub_runtime._errors import PubSubUnreachable

__all__ = [
    "ClientSettings",
    "close_client",
    "emulator_host",
    "new_publisher_client",
    "new_schema_client",
    "new_subscriber_client",
    "wait_until_reachable",
]

_CHANNEL_OPTIONS = (
    ("grpc.max_send_message_length", -1),
    ("grpc.max_receive_message_length", -1),
    # Exactly-once answers name every refused ack id in a trailer: gRPC's 8 KiB default holds
    # about 100 (beyond, the call fails with RESOURCE_EXHAUSTED and the answer is lost)
    ("grpc.max_metadata_size", 4 * 1024 * 1024),
)


def emulator_host() -> str | None:
    return os.environ.get("PUBSUB_EMULATOR_HOST") or None


class ClientSettings:
    """What the broker passes to every client it creates (credentials, client options)."""

    __slots__ = ("client_options", "credentials")

    def __init__(self, credentials: Any = None, client_options: Any = None) -> None:
        self.credentials = credentials
        self.client_options = client_options


def new_publisher_client(settings: ClientSettings) -> PublisherAsyncClient:
    host = emulator_host()
    if host:
        channel = grpc.aio.insecure_channel(host, options=_CHANNEL_OPTIONS)
        return PublisherAsyncClient(transport=PublisherGrpcAsyncIOTransport(channel=channel))
    return PublisherAsyncClient(
        credentials=settings.credentials, client_options=settings.client_options
    )


def new_subscriber_client(settings: ClientSettings) -> SubscriberAsyncClient:
    host = emulator_host()
    if host:
        channel = grpc.aio.insecure_channel(host, options=_CHANNEL_OPTIONS)
        return SubscriberAsyncClient(transport=SubscriberGrpcAsyncIOTransport(channel=channel))
    return SubscriberAsyncClient(
        credentials=settings.credentials, client_options=settings.client_options
    )


async def close_client(client: Any) -> None:
    """Close a client's gRPC channel; errors on the way out do not matter."""
    with contextlib.suppress(Exception):
        await client.transport.close()


def new_schema_client(settings: ClientSettings) -> Any:
    """A ``SchemaServiceAsyncClient`` (the registry: revisions a subscriber has not seen)."""
    from google.pubsub_v1 import SchemaServiceAsyncClient
    from google.pubsub_v1.services.schema_service.transports import (
        SchemaServiceGrpcAsyncIOTransport,
    )

    host = emulator_host()
    if host:
        channel = grpc.aio.insecure_channel(host, options=_CHANNEL_OPTIONS)
        return SchemaServiceAsyncClient(
            transport=SchemaServiceGrpcAsyncIOTransport(channel=channel)
        )
    return SchemaServiceAsyncClient(
        credentials=settings.credentials, client_options=settings.client_options
    )


def endpoint_of(settings: ClientSettings) -> str:
    """Where the clients connect: the emulator, or the API endpoint of the client options."""
    host = emulator_host()
    if host:
        return f"{host} from PUBSUB_EMULATOR_HOST"
    options = settings.client_options
    configured = options.get("api_endpoint") if isinstance(options, dict) else None
    configured = configured or getattr(options, "api_endpoint", None)
    return str(configured or PublisherAsyncClient.DEFAULT_ENDPOINT)


async def wait_until_reachable(settings: ClientSettings, timeout: float) -> None:  # noqa: ASYNC109
    """Connect once, before any RPC: fail in ``timeout`` seconds with ``PubSubUnreachable``.

    Without this check an unreachable Pub/Sub shows up as the first admin RPC's retries
    running out a minute later, with a traceback that names neither the endpoint nor the fix.
    """
    endpoint = endpoint_of(settings)
    try:
        client = new_publisher_client(settings)
    except DefaultCredentialsError:
        raise PubSubUnreachable(endpoint, "no Google Cloud credentials found") from None
    try:
        transport: Any = client.transport  # the gRPC asyncio transport: it has the channel
        channel = transport.grpc_channel
        await asyncio.wait_for(channel.channel_ready(), timeout)
    except TimeoutError:
        problem = f"no connection to Pub/Sub within {timeout:g} s"
        raise PubSubUnreachable(endpoint, problem) from None
    finally:
        await close_client(client)
