# This file is yours: pubsub-gen wrote it once and never overwrites it.
"""Handlers of the topic customer_registered: one per subscription."""

import logging

from ..broker import broker
from ..customer_registered import CUSTOMER_REGISTERED, CustomerRegistered

logger = logging.getLogger(__name__)


@broker.subscriber(
    alias="example-events.customer_registered",
    topic_name=CUSTOMER_REGISTERED.name,
    subscription_name="example-events.customer_registered",
)
async def handle_customer_registered(message: CustomerRegistered) -> None:
    """Handle one CustomerRegistered message of the subscription example-events.customer_registered.

    Return to ack it; raise to nack it (Pub/Sub then delivers it again).

    Fields of CustomerRegistered:
        customer_id: str -- Stable identifier of the customer.
        email: str
        registered_at: str
        birth_date: str | None -- Date of birth, when the customer gave it.
        name: str
        tier: Tier
        homepage: str | None
        address: PostalAddress | None
        contact: EmailContact | PhoneContact -- How the customer prefers to be contacted.
        referred_by: Referral | None -- The referral that brought the customer, if any.
        signup_channel: CustomerRegisteredSignupChannel | None
        marketing_opt_in: bool
        loyalty_points: int
        discount_rate: float | None
        tags: list[str] | None
        preferences: dict[str, bool] | None -- Notification switches by channel name.
        schema_version: Literal[2] | None
    """
    # Your logic goes here; the stub only logs what it received.
    logger.info("received %r", message)
