"""Retries, then a dead-letter topic; poison messages straight to it; a reader of dead letters."""

import logging

from example_events import TOPICS, OrderPlaced

from pubsub_runtime import Drop, Message, PubSubBroker, Retry

logger = logging.getLogger(__name__)
broker = PubSubBroker(project_id="local-project", topics=TOPICS)
CHARGED: set[str] = set()  # stands in for the payment provider's records


class ProviderBusy(Exception):
    """The payment provider asked us to slow down."""


async def charge_card(order: OrderPlaced) -> None:
    """Calls the payment provider (here: only records the charge)."""
    CHARGED.add(str(order.order_id))


@broker.subscriber(
    "charge",
    topic_name="order_placed",
    subscription_name="order_placed-charge",
    dead_letter_topic="order_placed-dead",  # created with the subscription (autocreate)
    max_delivery_attempts=5,  # then the message moves to the dead-letter topic
    min_backoff_delay_secs=10,  # Pub/Sub waits 10 s before the first redelivery ...
    max_backoff_delay_secs=600,  # ... and up to 10 min before later ones
    timeout=30.0,  # a handler still running after 30 s is cancelled: nacked
    on_decode_error="dead_letter",  # bytes that are no OrderPlaced go to the dead-letter topic now
)
async def charge(order: OrderPlaced) -> None:
    if str(order.order_id) in CHARGED:
        raise Drop("already charged")  # acked without handling: a duplicate delivery
    if order.total <= 0:
        raise ValueError(f"order {order.order_id} has nothing to charge")  # nacked
    try:
        await charge_card(order)
    except ProviderBusy as busy:
        raise Retry(delay=60, reason="payment provider busy") from busy  # nacked, back in 60 s


@broker.subscriber("dead-orders", topic_name="order_placed-dead", subscription_name="dead-audit")
async def audit_dead_letter(message: Message[None]) -> None:
    # Not a registered topic: raw bytes and attributes, as the failing subscription got them.
    attributes = message.attributes
    logger.error(
        "order message %s given up: %s",
        attributes.get("pubsub-source-message-id", message.id),
        attributes.get("pubsub-decode-error")  # a poison message: why it did not decode
        or f"{attributes.get('CloudPubSubDeadLetterSourceDeliveryCount')} failed attempts",
    )
