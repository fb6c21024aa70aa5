"""A slow service for the drain test, configured by environment variables.

``APP_PROJECT``, ``APP_TOPIC``, ``APP_SUBSCRIPTION``: what to consume (created by the test).
``APP_RECORD``: a file each handler appends ``start <id>`` and ``done <id>`` lines to.
``APP_SHUTDOWN_TIMEOUT``: how long the drain waits for in-flight handlers.
A message's data is the number of seconds its handler takes.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from pubsub_runtime import FastPubSub, Message, PubSubBroker

RECORD = Path(os.environ["APP_RECORD"])

broker = PubSubBroker(project_id=os.environ["APP_PROJECT"])
app = FastPubSub(broker, shutdown_timeout=float(os.environ["APP_SHUTDOWN_TIMEOUT"]))


def record(event: str, message: Message) -> None:
    with RECORD.open("a") as file:  # one short O_APPEND write per line
        file.write(f"{event} {message.id}\n")


@broker.subscriber(
    alias="drain",
    topic_name=os.environ["APP_TOPIC"],
    subscription_name=os.environ["APP_SUBSCRIPTION"],
    autocreate=False,
    max_messages=20,
    ack_deadline_seconds=10,
)
async def handle(message: Message) -> None:
    record("start", message)
    await asyncio.sleep(float(message.data))
    record("done", message)
