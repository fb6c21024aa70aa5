"""Declaring push subscribers and creating their subscriptions.

``push_subscriber`` is ``PubSubBroker.push_subscriber``: it checks the handler and options at
once and adds a ``PushSubscriber`` (``subscriber``) to the broker's ``PushRegistry``, which
tells the ``FastPubSub`` apps serving the broker so that they mount its route. At app startup
``provision_push_subscriptions`` checks each one's configuration and creates (``autocreate``)
or updates (``autoupdate``) the push subscriptions that ask for it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from google.protobuf import field_mask_pb2

from pubsub_runtime._admin import ADMIN_TIMEOUT, ensure_subscription
from pubsub_runtime._config import DecodeErrorPolicy, SubscriberOptions
from pubsub_runtime._dispatch import check_payload_annotation, inspect_handler
from pubsub_runtime._push.auth import PushAuth
from pubsub_runtime._push.subscriber import PushSubscriber
from pubsub_runtime._transport import close_client, new_subscriber_client

if TYPE_CHECKING:
    from pubsub_runtime._broker import PubSubBroker

__all__ = ["PushRegistry", "provision_push_subscriptions", "push_registry", "push_subscriber"]

HandlerT = TypeVar("HandlerT", bound=Callable[..., Any])


class PushRegistry:
    """A broker's push subscribers, and who wants to hear of new ones (the apps)."""

    def __init__(self) -> None:
        self.subscribers: list[PushSubscriber] = []
        self._listeners: list[Callable[[PushSubscriber], None]] = []

    def add(self, subscriber: PushSubscriber) -> None:
        self.subscribers.append(subscriber)
        for listener in self._listeners:
            listener(subscriber)

    def listen(self, listener: Callable[[PushSubscriber], None]) -> None:
        """Call ``listener`` for every push subscriber, those already declared first."""
        self._listeners.append(listener)
        for subscriber in self.subscribers:
            listener(subscriber)


def push_registry(broker: PubSubBroker) -> PushRegistry:
    """The broker's ``PushRegistry`` (the broker makes it; this module fills it)."""
    return broker._push_registry


def push_subscriber(
    broker: PubSubBroker,
    alias: str,
    *,
    topic_name: str,
    subscription_name: str,
    path: str,
    verify_token: bool | PushAuth = False,
    push_base_url: str | None = None,
    payload_unwrapping: bool = False,
    autocreate: bool = False,
    autoupdate: bool = False,
    filter_expression: str | None = None,
    dead_letter_topic: str | None = None,
    max_delivery_attempts: int = 5,
    ack_deadline_seconds: int = 60,
    enable_message_ordering: bool = False,
    min_backoff_delay_secs: int = 10,
    max_backoff_delay_secs: int = 600,
    timeout: float | None = None,
    on_decode_error: DecodeErrorPolicy = "nack",
) -> Callable[[HandlerT], HandlerT]:
    """Register an ``async def`` handler for the push subscription ``subscription_name``.

    The ``FastPubSub`` app serving ``broker`` answers ``POST path`` with it (see the module
    doc for the status codes). ``verify_token``: check Pub/Sub's OIDC token (True: Google's
    keys, audience = the endpoint URL; or a ``PushAuth``). ``payload_unwrapping``: the
    subscription delivers raw data with metadata headers (any request in that form is read
    either way). ``autocreate``: create the push subscription (and its topics) at app startup,
    pushing to ``push_base_url`` (default ``$PUBSUB_PUSH_BASE_URL``) + ``path``;
    ``autoupdate``: also bring an existing one's endpoint and policies in line. The other
    keywords mean what they mean for ``broker.subscriber``; ``ack_deadline_seconds`` is also
    how long Pub/Sub waits for the HTTP answer.
    """
    options = SubscriberOptions(
        autocreate=autocreate,
        autoupdate=autoupdate,
        filter_expression=filter_expression or None,
        dead_letter_topic=dead_letter_topic or None,
        max_delivery_attempts=max_delivery_attempts,
        ack_deadline_seconds=ack_deadline_seconds,
        enable_message_ordering=enable_message_ordering,
        min_backoff_delay_secs=min_backoff_delay_secs,
        max_backoff_delay_secs=max_backoff_delay_secs,
        timeout=timeout,
        on_decode_error=on_decode_error,
    )
    if not path.startswith("/"):
        raise ValueError(f"path must start with '/', got {path!r}")
    if not alias or "|" in alias:
        raise ValueError(f"alias must be a non-empty string without '|', got {alias!r}")
    registry = push_registry(broker)
    taken = [s.alias for s in broker.subscribers] + [s.alias for s in registry.subscribers]
    if alias in taken:
        raise ValueError(f"a subscriber with alias {alias!r} is already registered")
    if any(s.path == path for s in registry.subscribers):
        raise ValueError(f"another push subscriber already uses path {path!r}")
    auth = PushAuth() if verify_token is True else verify_token or None
    spec = broker._spec_for(topic_name)

    def decorate(handler: HandlerT) -> HandlerT:
        call = inspect_handler(handler, alias)
        if call.wants_payload:
            check_payload_annotation(alias, topic_name, call.annotation, spec)
        registry.add(
            PushSubscriber(
                broker=broker,
                alias=alias,
                topic_name=topic_name,
                subscription_name=subscription_name,
                path=path,
                handler=handler,
                call=call,
                options=options,
                spec=spec,
                push_base_url=push_base_url,
                payload_unwrapping=payload_unwrapping,
                auth=auth,
            )
        )
        return handler

    return decorate


async def provision_push_subscriptions(broker: PubSubBroker) -> None:
    """Check every push subscriber's configuration; create/update those that ask for it."""
    subscribers = push_registry(broker).subscribers
    for subscriber in subscribers:
        subscriber.prepare()
    todo = [s for s in subscribers if s.options.autocreate or s.options.autoupdate]
    if not todo:
        return
    client = new_subscriber_client(broker._settings)
    try:
        for subscriber in todo:
            resource = subscriber.resource()
            created = False
            if subscriber.options.autocreate:
                created = await ensure_subscription(broker._publisher_client(), client, resource)
            if subscriber.options.autoupdate and not created and subscriber.endpoint_url:
                paths = ["ack_deadline_seconds", "retry_policy", "dead_letter_policy"]
                await client.update_subscription(
                    subscription=resource,
                    update_mask=field_mask_pb2.FieldMask(paths=[*paths, "push_config"]),
                    timeout=ADMIN_TIMEOUT,
                )
    finally:
        await close_client(client)
