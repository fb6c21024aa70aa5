# This file is yours: pubsub-gen wrote it once and never overwrites it.
"""Handlers of the topic book_lent: one per subscription."""

import logging

from ..book_lent import BOOK_LENT, BookLent
from ..broker import broker

logger = logging.getLogger(__name__)


@broker.subscriber(
    alias="library.book_lent",
    topic_name=BOOK_LENT.name,
    subscription_name="library.book_lent",
)
async def handle_book_lent(message: BookLent) -> None:
    """Handle one BookLent message of the subscription library.book_lent.

    Return to ack it; raise to nack it (Pub/Sub then delivers it again).

    Fields of BookLent:
        loan_id: UUID
        lent_at: AwareDatetime
        due_on: date
        open_from: time
        fee: Decimal
        book: Book
        member: str | int | None -- Card number or member id.
        notes: dict[str, str]
        previous: Book | None
        renewals: int
    """
    # Your logic goes here; the stub only logs what it received.
    logger.info("received %r", message)
