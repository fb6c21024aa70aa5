"""Names of the message attributes the runtime reads or writes that are not its own invention.

Defined once here; the runtime's own dead-letter attributes (``pubsub-decode-error``,
``pubsub-source-*``) are in ``_poison``, which writes them.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "CLIENT_PREFIX",
    "DEAD_LETTER_PREFIX",
    "DEAD_LETTER_SOURCE_DELIVERY_COUNT",
    "DEAD_LETTER_SOURCE_PROJECT",
    "DEAD_LETTER_SOURCE_PUBLISH_TIME",
    "DEAD_LETTER_SOURCE_SUBSCRIPTION",
    "FINGERPRINT_ATTRIBUTE",
    "MAX_VALUE_BYTES",
    "RESERVED_PREFIX",
    "REVISION_ATTRIBUTE",
    "SCHEMA_ENCODING_ATTRIBUTE",
    "SCHEMA_NAME_ATTRIBUTE",
]

# The writer schema's CRC-64-AVRO fingerprint (16 hex digits), stamped by the publishers.
FINGERPRINT_ATTRIBUTE: Final = "avro-fingerprint"

# Stamped by Pub/Sub on the messages of a topic bound to a schema.
REVISION_ATTRIBUTE: Final = "googclient_schemarevisionid"  # the revision that validated it
SCHEMA_NAME_ATTRIBUTE: Final = "googclient_schemaname"
SCHEMA_ENCODING_ATTRIBUTE: Final = "googclient_schemaencoding"  # JSON or BINARY

MAX_VALUE_BYTES: Final = 1024  # Pub/Sub's limit for one attribute value, in UTF-8

# Keys starting with ``goog`` are Pub/Sub's: a publisher may not set them, except the
# ``googclient_*`` keys of the client libraries (trace context).
RESERVED_PREFIX: Final = "goog"
CLIENT_PREFIX: Final = "googclient_"

# Stamped by Pub/Sub on a message it moved to a subscription's dead-letter topic.
DEAD_LETTER_PREFIX: Final = "CloudPubSubDeadLetter"
DEAD_LETTER_SOURCE_SUBSCRIPTION: Final = "CloudPubSubDeadLetterSourceSubscription"
DEAD_LETTER_SOURCE_PROJECT: Final = "CloudPubSubDeadLetterSourceSubscriptionProject"
DEAD_LETTER_SOURCE_DELIVERY_COUNT: Final = "CloudPubSubDeadLetterSourceDeliveryCount"
DEAD_LETTER_SOURCE_PUBLISH_TIME: Final = "CloudPubSubDeadLetterSourceTopicPublishTime"
