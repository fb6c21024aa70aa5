"""Calling an HTTP API from a handler with an async client, shared by every message."""

import httpx

from pubsub_runtime import Message, PubSubBroker

broker = PubSubBroker(project_id="local-project")
# One client for the process: it keeps connections open between messages.
crm = httpx.AsyncClient(base_url="https://crm.example.com", timeout=10.0)


@broker.subscriber("crm-sync", topic_name="user-events", subscription_name="user-events-crm")
async def sync_to_crm(message: Message[None]) -> None:
    response = await crm.post("/events", content=message.data)
    response.raise_for_status()  # an exception nacks the message: Pub/Sub delivers it again
