"""FastPubSub's lifespan runs the broker, and its health routes say whether it can work."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import Request

from pubsub_runtime import FastPubSub, Message, PubSubBroker
from pubsub_runtime.testing import Emulator

pytestmark = pytest.mark.emulator


class AsgiLifespan:
    """Drives an ASGI app's lifespan protocol the way a server does."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._to_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._from_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self.state: dict[str, Any] = {}

    async def startup(self, expect: str = "lifespan.startup.complete") -> dict[str, Any]:
        scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": self.state}
        self._task = asyncio.create_task(self.app(scope, self._to_app.get, self._from_app.put))
        await self._to_app.put({"type": "lifespan.startup"})
        reply = await self._from_app.get()
        assert reply["type"] == expect, reply
        if expect != "lifespan.startup.complete":
            await asyncio.gather(self._task, return_exceptions=True)
        return reply

    async def shutdown(self) -> None:
        await self._to_app.put({"type": "lifespan.shutdown"})
        reply = await self._from_app.get()
        assert reply["type"] == "lifespan.shutdown.complete", reply
        assert self._task is not None
        await self._task


def client_for(app: Any, state: dict[str, Any] | None = None) -> httpx.AsyncClient:
    async def with_state(scope: dict[str, Any], receive: Any, send: Any) -> None:
        # A server hands every request a copy of the state the lifespan yielded.
        scope["state"] = dict(state or {})
        await app(scope, receive, send)

    transport = httpx.ASGITransport(app=with_state)
    return httpx.AsyncClient(transport=transport, base_url="http://service")


@asynccontextmanager
async def serving(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    lifespan = AsgiLifespan(app)
    await lifespan.startup()
    try:
        async with client_for(app, lifespan.state) as client:
            yield client
    finally:
        await lifespan.shutdown()


async def wait_for(condition: Callable[[], bool]) -> None:
    while not condition():  # noqa: ASYNC110 - polls state that no event announces
        await asyncio.sleep(0.01)


@pytest.fixture
def names(unique_name: Callable[[str], str]) -> Iterator[dict[str, str]]:
    yield {"topic": unique_name("health"), "subscription": unique_name("health-sub")}


def gated_app(
    pubsub_emulator: Emulator, names: dict[str, str]
) -> tuple[FastPubSub, PubSubBroker, asyncio.Event, list[str]]:
    """An app whose handler records message ids and waits for ``gate`` before returning."""
    broker = PubSubBroker(project_id=pubsub_emulator.project_id)
    gate = asyncio.Event()
    entered: list[str] = []

    @broker.subscriber(
        alias="orders", topic_name=names["topic"], subscription_name=names["subscription"]
    )
    async def take_order(message: Message) -> None:
        entered.append(message.id)
        await gate.wait()

    return FastPubSub(broker, shutdown_timeout=30), broker, gate, entered


async def test_ready_and_alive_answer_200_with_subscriber_states_and_loop_lag(
    pubsub_emulator: Emulator, names: dict[str, str]
) -> None:
    app, _, _, _ = gated_app(pubsub_emulator, names)
    async with serving(app) as client:
        ready = await client.get("/consumers/ready")
        alive = await client.get("/consumers/alive")

    assert ready.status_code == 200
    assert alive.status_code == 200
    for response, check in ((ready, "ready"), (alive, "alive")):
        body = response.json()
        assert body["status"] == "ok"
        assert body["check"] == check
        assert body["started"] is True and body["stopping"] is False
        assert body["reasons"] == []
        assert body["subscribers"] == [
            {
                "alias": "orders",
                "topic": names["topic"],
                "subscription": names["subscription"],
                "state": "running",
                "in_flight": 0,
            }
        ]
        assert body["loop"]["running"] is True
        assert body["loop"]["max_lag_ms"] >= body["loop"]["lag_ms"] >= 0
        assert body["loop"]["block_threshold_ms"] == 100


async def test_health_is_503_before_start_while_stopping_and_after_stop(
    pubsub_emulator: Emulator, names: dict[str, str]
) -> None:
    app, broker, gate, entered = gated_app(pubsub_emulator, names)
    async with client_for(app) as client:
        before = await client.get("/consumers/ready")
        assert before.status_code == 503
        assert before.json()["reasons"] == ["the broker is not started"]

        lifespan = AsgiLifespan(app)
        await lifespan.startup()
        await broker.publish(topic_name=names["topic"], data=b"order")
        await wait_for(lambda: len(entered) == 1)

        # The handler holds the gate, so the drain cannot finish: the broker stays "stopping".
        shutdown = asyncio.create_task(lifespan.shutdown())
        await wait_for(lambda: broker.stopping)
        ready = await client.get("/consumers/ready")
        alive = await client.get("/consumers/alive")
        assert ready.status_code == 503
        assert alive.status_code == 503
        assert ready.json()["stopping"] is True
        assert "the broker is stopping" in ready.json()["reasons"]
        assert alive.json()["subscribers"][0]["state"] == "stopping"
        assert alive.json()["subscribers"][0]["in_flight"] == 1

        gate.set()
        await shutdown
        ready_after = await client.get("/consumers/ready")
        alive_after = await client.get("/consumers/alive")

    assert ready_after.status_code == 503
    assert alive_after.status_code == 503
    assert ready_after.json()["started"] is False
    assert alive_after.json()["subscribers"][0]["state"] == "stopped"
    assert alive_after.json()["loop"]["running"] is False


async def test_an_api_only_app_serves_its_routes_and_health(
    pubsub_emulator: Emulator, names: dict[str, str]
) -> None:
    broker = PubSubBroker(project_id=pubsub_emulator.project_id)
    app = FastPubSub(broker)

    @app.post("/events/")
    async def create_event(data: dict[str, Any]) -> dict[str, str]:
        message_id = await broker.publish(topic_name=names["topic"], data=data, autocreate=True)
        return {"status": "published", "id": message_id}

    async with serving(app) as client:
        ready = await client.get("/consumers/ready")
        alive = await client.get("/consumers/alive")
        created = await client.post("/events/", json={"kind": "signup"})

    assert ready.status_code == 200 and ready.json()["subscribers"] == []
    assert alive.status_code == 200 and alive.json()["status"] == "ok"
    assert created.status_code == 200
    assert created.json()["status"] == "published"
    assert created.json()["id"]


async def test_user_lifespan_and_hooks_run_before_the_broker_starts_and_after_it_stops(
    pubsub_emulator: Emulator, names: dict[str, str]
) -> None:
    events: list[tuple[str, bool]] = []
    broker = PubSubBroker(project_id=pubsub_emulator.project_id)

    @broker.subscriber(
        alias="orders", topic_name=names["topic"], subscription_name=names["subscription"]
    )
    async def take_order(message: Message) -> None:
        pass

    @asynccontextmanager
    async def lifespan(app: FastPubSub) -> AsyncIterator[dict[str, str]]:
        events.append(("lifespan enter", broker.started))
        yield {"resource": "pool"}
        events.append(("lifespan exit", broker.started))

    def on_startup() -> None:
        events.append(("on_startup", broker.started))

    async def on_shutdown() -> None:
        events.append(("on_shutdown", broker.started))

    app = FastPubSub(broker, lifespan=lifespan, on_startup=[on_startup], on_shutdown=[on_shutdown])

    @app.get("/resource")
    async def resource(request: Request) -> dict[str, str]:
        return {"resource": request.state.resource}

    async with serving(app) as client:
        events.append(("serving", broker.started))
        got = await client.get("/resource")

    assert got.json() == {"resource": "pool"}
    assert events == [
        ("lifespan enter", False),
        ("on_startup", False),
        ("serving", True),
        ("on_shutdown", False),
        ("lifespan exit", False),
    ]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # on_event, still used by many apps
async def test_a_failing_startup_hook_leaves_the_broker_stopped(
    pubsub_emulator: Emulator, names: dict[str, str]
) -> None:
    app, broker, _, _ = gated_app(pubsub_emulator, names)

    @app.on_event("startup")
    async def broken() -> None:
        raise RuntimeError("no database")

    reply = await AsgiLifespan(app).startup(expect="lifespan.startup.failed")

    assert "no database" in reply["message"]
    assert not broker.started
    assert not app.watchdog.running
