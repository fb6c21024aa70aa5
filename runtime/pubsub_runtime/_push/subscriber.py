"""Push subscriptions: Pub/Sub POSTs each message to an HTTP route of the ``FastPubSub`` app.

``@broker.push_subscriber(alias, topic_name=..., subscription_name=..., path="/push/orders")``
declares one; the app mounts ``POST path`` for it (also for push subscribers declared after the
app was made). A request is answered 204 (ack) when the handler returns, and with an error
status (nack: Pub/Sub redelivers with the subscription's retry backoff, then dead-letters) when
it raises (500), asks to ``Retry`` (503), the app is not serving (503), the payload does not
decode (422, or dead-lettered and 204 with ``on_decode_error="dead_letter"``), the request is
not a push delivery (400) or its token is refused (401/403). Handlers are called as for pull
subscribers: typed with the topic's model they get the decoded payload, else the ``Message``.
Each request's message goes through the runtime's one ``deliver`` (``_delivery``), with the push
subscriber as its ``Transport``: the HTTP answer is what settles it.

``verify_token=True`` (or a ``PushAuth``) checks the OIDC token Pub/Sub signs for each request;
see ``auth``. With ``autocreate`` the app creates the push subscription at startup, with
its endpoint at ``push_base_url`` (or ``$PUBSUB_PUSH_BASE_URL``) + ``path``. Declaring and
creating push subscriptions: ``registry``.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from google.pubsub_v1 import PushConfig

from pubsub_runtime._admin import subscription_resource
from pubsub_runtime._codecs.revisions import learn_revision
from pubsub_runtime._config import SubscriberOptions, TopicCodec, subscription_path, topic_path
from pubsub_runtime._delivery import Settled
from pubsub_runtime._delivery import deliver as deliver_message
from pubsub_runtime._dispatch import Handler, HandlerCall, handler_task_name
from pubsub_runtime._errors import UnknownWriterSchema
from pubsub_runtime._message import Message
from pubsub_runtime._poison import PublishFunction
from pubsub_runtime._push.auth import KeyFetchError, PushAuth, TokenError, TokenVerifier
from pubsub_runtime._push.envelope import MalformedPush, parse_push
from pubsub_runtime._transport import new_schema_client

if TYPE_CHECKING:
    from pubsub_runtime._broker import PubSubBroker

__all__ = ["PUSH_BASE_URL_ENV", "PushResult", "PushSubscriber"]

logger = logging.getLogger("pubsub_runtime")

PUSH_BASE_URL_ENV: Final = "PUBSUB_PUSH_BASE_URL"


@dataclass(frozen=True, slots=True)
class PushResult:
    """The HTTP answer to one push request: 2xx acks, anything else nacks."""

    status: int
    reason: str = ""

    @property
    def ack(self) -> bool:
        return 200 <= self.status < 300


_ACKED: Final = PushResult(204)
_UNAUTHORIZED: Final = PushResult(401, "unauthorized")
_FORBIDDEN: Final = PushResult(403, "forbidden")


class PushSubscriber:
    """A handler bound to a push subscription and an HTTP path. Made by ``push_subscriber``."""

    kind: str = "push subscriber"  # what its log lines call it

    def __init__(
        self,
        *,
        broker: PubSubBroker,
        alias: str,
        topic_name: str,
        subscription_name: str,
        path: str,
        handler: Handler,
        call: HandlerCall,
        options: SubscriberOptions,
        spec: TopicCodec | None,
        push_base_url: str | None,
        payload_unwrapping: bool,
        auth: PushAuth | None,
    ) -> None:
        self.broker = broker
        self.alias = alias
        self.topic_name = topic_name
        self.subscription_name = subscription_name
        self.path = path
        self.handler = handler
        self.options = options
        self.spec = spec
        self.topic_path = topic_path(broker.project_id, topic_name)
        self.subscription_path = subscription_path(broker.project_id, subscription_name)
        self.payload_unwrapping = payload_unwrapping
        self.auth = auth
        self._push_base_url = push_base_url
        self.call = call
        self._verifier: TokenVerifier | None = None
        self._in_flight = 0

    # -- what the health endpoints read ------------------------------------------------------

    @property
    def state(self) -> str:
        """While the broker runs, "running": Pub/Sub delivers whenever the route answers."""
        if self.broker.started:
            return "running"
        return "stopping" if self.broker.stopping else "idle"

    @property
    def in_flight(self) -> int:
        return self._in_flight

    @property
    def endpoint_url(self) -> str | None:
        """The URL Pub/Sub pushes to, when a base URL is configured."""
        base = self._push_base_url or os.environ.get(PUSH_BASE_URL_ENV)
        return base.rstrip("/") + self.path if base else None

    def __repr__(self) -> str:
        return (
            f"PushSubscriber(alias={self.alias!r}, subscription={self.subscription_path!r}, "
            f"path={self.path!r})"
        )

    # -- startup -----------------------------------------------------------------------------

    def prepare(self) -> None:
        """Check the configuration that needs the environment (called at app startup)."""
        if self.auth is not None and self._verifier is None:
            audience = self.auth.audience or self.endpoint_url
            if audience is None:
                raise ValueError(
                    f"push subscriber {self.alias!r} verifies tokens but has no audience: pass "
                    f"verify_token=PushAuth(audience=...), push_base_url=..., or set "
                    f"{PUSH_BASE_URL_ENV}"
                )
            self._verifier = TokenVerifier(self.auth, audience)
        if self.options.autocreate and self.endpoint_url is None:
            raise ValueError(
                f"push subscriber {self.alias!r} has autocreate on but no endpoint to push to: "
                f"pass push_base_url=... or set {PUSH_BASE_URL_ENV}"
            )

    def resource(self) -> Any:
        """The push subscription resource that provisioning creates."""
        resource = subscription_resource(
            self.broker.project_id, self.topic_path, self.subscription_path, self.options
        )
        config = PushConfig(push_endpoint=self.endpoint_url or "")
        if self.auth is not None and self.auth.service_account_email:
            config.oidc_token = PushConfig.OidcToken(
                service_account_email=self.auth.service_account_email,
                audience=self.auth.audience or "",
            )
        if self.payload_unwrapping:
            config.no_wrapper = PushConfig.NoWrapper(write_metadata=True)
        resource.push_config = config
        return resource

    # -- requests ----------------------------------------------------------------------------

    async def authenticate(self, headers: Mapping[str, str]) -> PushResult | None:
        """``None`` when the request may proceed, else the refusal to answer with."""
        verifier = self._verifier
        if verifier is None:
            # Made at startup (``prepare``): without it the app is not serving yet.
            return None if self.auth is None else PushResult(503, "the service is not running")
        try:
            await verifier.verify(headers.get("authorization"))
        except TokenError as exc:
            # The detail (what was expected) is for the log only: a caller learns nothing
            # from the answer about what would have been accepted.
            logger.warning(
                "push subscriber %s: request refused (%d): %s",
                self.alias,
                exc.status,
                exc.reason,
                extra={"alias": self.alias},
            )
            return _FORBIDDEN if exc.status == 403 else _UNAUTHORIZED
        except KeyFetchError as exc:
            logger.error("push subscriber %s: %s", self.alias, exc, extra={"alias": self.alias})
            return PushResult(503, "cannot verify tokens now")
        return None

    async def deliver(self, body: bytes, headers: Mapping[str, str]) -> PushResult:
        """Handle one push request's message; the result says ack (2xx) or nack."""
        if not self.broker.started:
            return PushResult(503, "the service is not running")
        try:
            message, _ = parse_push(body, headers, unwrapped=self.payload_unwrapping)
        except MalformedPush as exc:
            logger.warning(
                "push subscriber %s: not a Pub/Sub push request (%s); answered 400",
                self.alias,
                exc,
                extra={"alias": self.alias},
            )
            return PushResult(400, str(exc))
        # Named like a pull handler's task while it runs, so the loop watchdog can name it.
        task = asyncio.current_task()
        previous = task.get_name() if task is not None else ""
        if task is not None:
            task.set_name(handler_task_name(self.alias, self.call.qualname, message.id))
        self._in_flight += 1
        try:
            delivered = await deliver_message(self, message, self)
        finally:
            self._in_flight -= 1
            if task is not None:
                task.set_name(previous)
        if delivered.ack:
            return _ACKED
        if not delivered.handled:
            if delivered.copy_failed:
                return PushResult(503, "dead-letter publish failed")
            return PushResult(422, f"payload does not decode: {delivered.reason}")
        if delivered.delay:
            return PushResult(503, f"retry in {delivered.delay} s")
        return PushResult(500, "the handler failed")

    # -- settling: the Transport that ``deliver`` reports to ----------------------------------
    # The HTTP answer settles the message (``deliver`` above turns the result into it).

    @property
    def publish(self) -> PublishFunction | None:
        """The broker's publish, for dead-letter copies of poison messages."""
        return self.broker._publish_encoded

    def settle(self, message: Message[Any], ack: bool, delay: int) -> Settled:
        return "ack" if ack else "nack"  # message.ack() is for pull subscribers

    def dead_lettered(self, message: Message[Any]) -> None:
        return None

    def interrupted(self, message: Message[Any]) -> bool:
        return True  # the request ends without an answer: Pub/Sub redelivers

    async def learn_revision(self, spec: TopicCodec, unknown: UnknownWriterSchema) -> bool:
        # from the broker's registry, as the pull subscribers fetch theirs
        settings = self.broker._settings
        return await learn_revision(spec, unknown, lambda: new_schema_client(settings))
