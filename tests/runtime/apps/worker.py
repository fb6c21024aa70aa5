"""A service for the CLI tests, configured by environment variables.

``APP_PROJECT``, ``APP_TOPIC``, ``APP_SUBSCRIPTION``: what to consume. ``APP_RECORD``: a file
each handler appends ``start <id> <pid>`` and ``done <id> <pid>`` lines to. ``APP_RELEASE``: a
directory; a "wait" message finishes when the file named by its ``key`` appears there.
``APP_SHUTDOWN_TIMEOUT``: how long the drain waits for in-flight handlers.

A message is JSON ``{"kind": ..., "seconds": ..., "key": ...}``: ``sleep`` awaits
``asyncio.sleep``, ``block`` calls ``time.sleep`` (blocking the loop), ``wait`` awaits a file.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path

from pubsub_runtime import FastPubSub, Message, PubSubBroker

RECORD = Path(os.environ["APP_RECORD"])
RELEASE = Path(os.environ["APP_RELEASE"])

broker = PubSubBroker(project_id=os.environ["APP_PROJECT"])
app = FastPubSub(broker, shutdown_timeout=float(os.environ.get("APP_SHUTDOWN_TIMEOUT", "30")))


def record(event: str, message: Message) -> None:
    # One short O_APPEND write per line: lines from the two workers do not interleave.
    with RECORD.open("a") as file:
        file.write(f"{event} {message.id} {os.getpid()}\n")


@broker.subscriber(
    alias="work",
    topic_name=os.environ["APP_TOPIC"],
    subscription_name=os.environ["APP_SUBSCRIPTION"],
)
async def handle(message: Message) -> None:
    order = json.loads(message.data)
    record("start", message)
    if order["kind"] == "sleep":
        await asyncio.sleep(order["seconds"])
    elif order["kind"] == "block":
        time.sleep(order["seconds"])  # noqa: ASYNC251 - blocks the loop on purpose
    elif order["kind"] == "wait":
        # Another process creates the file: polling is the simplest cross-process signal.
        release = RELEASE / order["key"]
        while not release.exists():  # noqa: ASYNC110
            await asyncio.sleep(0.02)
    record("done", message)


@app.get("/pid")
async def pid() -> dict[str, int]:
    return {"pid": os.getpid()}
