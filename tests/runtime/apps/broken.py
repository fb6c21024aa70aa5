"""A service whose startup fails, as one whose resources are unreachable would."""

from __future__ import annotations

from pubsub_runtime import FastPubSub, PubSubBroker


async def connect_database() -> None:
    raise RuntimeError("database unreachable")


broker = PubSubBroker(project_id="test-project")
app = FastPubSub(broker, on_startup=[connect_database])
