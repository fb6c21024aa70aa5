"""A service slower than its publisher, for the bounded-memory test.

``APP_PROJECT``, ``APP_TOPIC``, ``APP_SUBSCRIPTION``: what to consume (created at start).
``APP_RECORD``: a file each handler appends ``done <id>`` to. ``APP_MAX_MESSAGES``: the flow
control bound. ``APP_HANDLER_SECONDS``: how long each handler awaits. ``GET /stats`` reports the
handlers completed and the most messages held and handlers running at once so far.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from pubsub_runtime import FastPubSub, Message, PubSubBroker

MAX_MESSAGES = int(os.environ["APP_MAX_MESSAGES"])
HANDLER_SECONDS = float(os.environ["APP_HANDLER_SECONDS"])

broker = PubSubBroker(project_id=os.environ["APP_PROJECT"])
app = FastPubSub(broker)
record = Path(os.environ["APP_RECORD"]).open("a", buffering=1)  # noqa: SIM115 - process-long
stats = {"handled": 0, "running": 0, "max_running": 0, "max_in_flight": 0}


@broker.subscriber(
    alias="load",
    topic_name=os.environ["APP_TOPIC"],
    subscription_name=os.environ["APP_SUBSCRIPTION"],
    max_messages=MAX_MESSAGES,
)
async def handle(message: Message) -> None:
    stats["running"] += 1
    stats["max_running"] = max(stats["max_running"], stats["running"])
    stats["max_in_flight"] = max(stats["max_in_flight"], broker.subscribers[0].in_flight)
    try:
        await asyncio.sleep(HANDLER_SECONDS)
    finally:
        stats["running"] -= 1
    stats["handled"] += 1
    record.write(f"done {message.id}\n")


@app.get("/stats")
async def get_stats() -> dict[str, int]:
    return {**stats, "in_flight": broker.subscribers[0].in_flight, "bound": MAX_MESSAGES}
