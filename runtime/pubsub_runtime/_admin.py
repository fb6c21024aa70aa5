"""Creating and updating topics and subscriptions (``autocreate`` / ``autoupdate``).

Called from ``PubSubBroker.start()`` only: admin RPCs never sit on the publish or receive path.
"""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING

from google.api_core.exceptions import AlreadyExists
from google.protobuf import duration_pb2, field_mask_pb2
from google.pubsub_v1 import DeadLetterPolicy, RetryPolicy, Subscription

from pubsub_runtime._config import SubscriberOptions, topic_path

if TYPE_CHECKING:
    from google.pubsub_v1 import PublisherAsyncClient, SubscriberAsyncClient

__all__ = [
    "ADMIN_TIMEOUT",
    "ensure_subscription",
    "ensure_topic",
    "subscription_resource",
    "update_subscription",
]

logger = logging.getLogger("pubsub_runtime")
ADMIN_TIMEOUT = 30.0


async def ensure_topic(publisher: PublisherAsyncClient, topic: str) -> bool:
    """Create ``topic`` (a full path) unless it exists; True when it was created."""
    try:
        await publisher.create_topic(name=topic, timeout=ADMIN_TIMEOUT)
    except AlreadyExists:
        return False
    logger.info("created topic %s", topic, extra={"topic": topic})
    return True


def subscription_resource(
    project_id: str, topic: str, subscription: str, options: SubscriberOptions
) -> Subscription:
    """The subscription resource described by the subscriber's options (paths are full)."""
    resource = Subscription(
        name=subscription,
        topic=topic,
        ack_deadline_seconds=options.ack_deadline_seconds,
        enable_message_ordering=options.enable_message_ordering,
        enable_exactly_once_delivery=options.enable_exactly_once_delivery,
        retry_policy=RetryPolicy(
            minimum_backoff=duration_pb2.Duration(seconds=options.min_backoff_delay_secs),
            maximum_backoff=duration_pb2.Duration(seconds=options.max_backoff_delay_secs),
        ),
    )
    if options.filter_expression:
        resource.filter = options.filter_expression
    if options.dead_letter_topic:
        resource.dead_letter_policy = DeadLetterPolicy(
            dead_letter_topic=topic_path(project_id, options.dead_letter_topic),
            max_delivery_attempts=options.max_delivery_attempts,
        )
    return resource


async def ensure_subscription(
    publisher: PublisherAsyncClient,
    subscriber: SubscriberAsyncClient,
    resource: Subscription,
) -> bool:
    """Create the topic, the dead-letter topic and the subscription when missing.

    A dead-letter topic created here also gets a subscription of the same name, so that the
    messages dead-lettered to it are kept rather than dropped by a topic nobody reads.
    Returns True when the subscription was created.
    """
    await ensure_topic(publisher, resource.topic)
    dead_letter_topic = resource.dead_letter_policy.dead_letter_topic
    if dead_letter_topic and await ensure_topic(publisher, dead_letter_topic):
        project_prefix = dead_letter_topic.split("/topics/")[0]
        name = dead_letter_topic.rsplit("/", 1)[-1]
        with contextlib.suppress(AlreadyExists):
            await subscriber.create_subscription(
                name=f"{project_prefix}/subscriptions/{name}",
                topic=dead_letter_topic,
                timeout=ADMIN_TIMEOUT,
            )
    try:
        await subscriber.create_subscription(request=resource, timeout=ADMIN_TIMEOUT)
    except AlreadyExists:
        return False
    logger.info(
        "created subscription %s on %s",
        resource.name,
        resource.topic,
        extra={"subscription": resource.name, "topic": resource.topic},
    )
    return True


async def update_subscription(subscriber: SubscriberAsyncClient, resource: Subscription) -> None:
    """Bring an existing subscription's mutable settings in line with the options.

    Ordering and filter cannot change after creation: Pub/Sub refuses those updates.
    """
    paths = ["ack_deadline_seconds", "retry_policy", "enable_exactly_once_delivery"]
    paths.append("dead_letter_policy")  # an unset policy in the mask removes an existing one
    await subscriber.update_subscription(
        subscription=resource,
        update_mask=field_mask_pb2.FieldMask(paths=paths),
        timeout=ADMIN_TIMEOUT,
    )
