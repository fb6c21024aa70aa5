"""src/my_service/handlers/invoice_issued.py, once its stubs are filled in."""

import logging

from ..broker import broker
from ..invoice_issued import INVOICE_ISSUED, InvoiceIssued

logger = logging.getLogger(__name__)
LEDGER: dict[str, InvoiceIssued] = {}  # stands in for the service's database


@broker.subscriber(
    alias="invoice_issued-mailer",
    topic_name=INVOICE_ISSUED.name,
    subscription_name="invoice_issued-mailer",
)
async def handle_invoice_issued_mailer(message: InvoiceIssued) -> None:
    logger.info("mailing invoice %s, due %s", message.invoice_id, message.due_on)


@broker.subscriber(
    alias="invoice_issued-ledger",
    topic_name=INVOICE_ISSUED.name,
    subscription_name="invoice_issued-ledger",
)
async def handle_invoice_issued_ledger(message: InvoiceIssued) -> None:
    # Keyed by invoice: a redelivered message overwrites its own entry instead of adding one.
    LEDGER[message.invoice_id] = message
