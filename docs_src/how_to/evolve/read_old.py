"""The v2 service reads a message that the v1 service published (Avro binary).

Run after `pubsub-gen` recorded v1 and then v2 in pubsub-gen.lock: the generated TopicSpec
embeds the v1 schema, and the message's avro-fingerprint attribute names it.
"""

import io
import json
from pathlib import Path

import fastavro
from events import TOPICS

from pubsub_runtime import schema_fingerprint

v1 = Path("v1/payment_received.avsc").read_text()
old = io.BytesIO()  # what the v1 publisher sent
fastavro.schemaless_writer(
    old,
    fastavro.parse_schema(json.loads(v1)),
    {"paymentId": "p-1", "amountCents": 250, "method": "TRANSFER"},
)
attributes = {"avro-fingerprint": schema_fingerprint(v1)}  # stamped by the v1 publisher

payment = TOPICS["payment_received"].decode(old.getvalue(), attributes=attributes)
print(json.dumps(payment.model_dump(mode="json", by_alias=True)))
