"""An API-only service: a broker with no subscribers, and one route."""

from __future__ import annotations

import os

from pubsub_runtime import FastPubSub, PubSubBroker

broker = PubSubBroker(project_id=os.environ.get("APP_PROJECT", "test-project"))
app = FastPubSub(broker)


@app.get("/hello")
async def hello() -> dict[str, str]:
    return {"hello": "world"}
