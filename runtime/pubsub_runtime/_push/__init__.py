"""Push subscriptions: Pub/Sub POSTs each message to a route of the ``FastPubSub`` app.

``registry`` declares push subscribers (``broker.push_subscriber``) and creates their
subscriptions; ``subscriber`` answers one request (``PushSubscriber.deliver``, through the
runtime's one ``deliver``); ``envelope`` reads the request into a ``Message``; ``auth`` checks
the OIDC token Pub/Sub signs.
"""

from __future__ import annotations

from pubsub_runtime._push.auth import PushAuth
from pubsub_runtime._push.envelope import MalformedPush, parse_push
from pubsub_runtime._push.registry import (
    PushRegistry,
    provision_push_subscriptions,
    push_registry,
    push_subscriber,
)
from pubsub_runtime._push.subscriber import PUSH_BASE_URL_ENV, PushResult, PushSubscriber

__all__ = [
    "PUSH_BASE_URL_ENV",
    "MalformedPush",
    "PushAuth",
    "PushRegistry",
    "PushResult",
    "PushSubscriber",
    "parse_push",
    "provision_push_subscriptions",
    "push_registry",
    "push_subscriber",
]
