"""The console's pages and JSON endpoints, as one FastAPI router (see the package docstring)."""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.params import Depends
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse
from google.api_core.exceptions import GoogleAPICallError
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import BaseModel, ValidationError
from pydantic.json_schema import PydanticJsonSchemaWarning

from pubsub_runtime._deadletter import (
    DEFAULT_MAX_REPLAYS,
    app_subscribers,
    count_dead_letters,
    dead_letter_routes,
    peek_dead_letters,
    replay_dead_letters,
)
from pubsub_runtime._errors import EncodeError
from pubsub_runtime.console._forms import form_fields
from pubsub_runtime.console._tail import tail_events

if TYPE_CHECKING:
    from pubsub_runtime._broker import PubSubBroker

__all__ = ["console_router"]

_TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
_PEEK_LIMIT = 50


class PublishRequest(BaseModel):
    payload: Any  # an object, or the value of a RootModel
    attributes: dict[str, str] = {}
    ordering_key: str | None = None


class ReplayRequest(BaseModel):
    filter: str | None = None
    dry_run: bool = False
    max_replays: int = DEFAULT_MAX_REPLAYS


def console_router(
    broker: PubSubBroker, base: str, dependencies: Sequence[Depends] = ()
) -> APIRouter:
    """The console's routes, to be included under ``base`` (e.g. ``/console``)."""
    router = APIRouter(dependencies=list(dependencies), include_in_schema=False)

    def page(name: str, **context: Any) -> HTMLResponse:
        html = _TEMPLATES.get_template(name).render(base=base, **context)
        return HTMLResponse(html)

    def known_topic(topic: str) -> None:
        if topic not in _topics(broker):
            raise HTTPException(404, f"the app has no topic {topic!r}")

    def known_dead_letters(subscription: str) -> None:
        if subscription not in {r.dead_letter_subscription for r in dead_letter_routes(broker)}:
            raise HTTPException(404, f"the app has no dead-letter subscription {subscription!r}")

    @router.get("/", response_class=HTMLResponse)
    async def overview() -> HTMLResponse:
        routes = dead_letter_routes(broker)
        counts: dict[str, int | str] = {}
        for route in routes:
            if route.dead_letter_subscription not in counts:
                try:
                    counts[route.dead_letter_subscription] = await count_dead_letters(
                        broker, route.dead_letter_subscription
                    )
                except GoogleAPICallError as exc:
                    counts[route.dead_letter_subscription] = f"? ({exc.message})"
        by_subscription = {r.subscription: r for r in routes}
        subscribers = [
            {
                "alias": s.alias,
                "topic": s.topic_name,
                "subscription": s.subscription_name,
                "state": str(s.state),
                "in_flight": int(s.in_flight),
                "dead_letter": by_subscription.get(s.subscription_name.rsplit("/", 1)[-1]),
            }
            for s in app_subscribers(broker)
        ]
        return page(
            "overview.html",
            project=broker.project_id,
            topics=_topics(broker),
            subscribers=subscribers,
            counts=counts,
        )

    @router.get("/topics/{topic}", response_class=HTMLResponse)
    async def topic_page(topic: str) -> HTMLResponse:
        known_topic(topic)
        codec = broker.topics.get(topic)
        schema = None
        if codec is not None:
            with warnings.catch_warnings():  # a default JSON cannot show is left out; fine here
                warnings.simplefilter("ignore", PydanticJsonSchemaWarning)
                schema = codec.model.model_json_schema()
        return page(
            "topic.html",
            topic=topic,
            model=codec.model.__name__ if codec is not None else None,
            fields=form_fields(schema) if schema else [],
            schema_json=json.dumps(schema, indent=2) if schema else "",
        )

    @router.post("/api/topics/{topic}/publish")
    async def publish(topic: str, request: PublishRequest) -> JSONResponse:
        known_topic(topic)
        codec = broker.topics.get(topic)
        if codec is None:
            raise HTTPException(404, f"topic {topic!r} has no model to publish with")
        try:
            value = codec.model.model_validate(request.payload)
            codec.encode(value)  # the codec is the judge, as it is for the service's publishes
        except ValidationError as exc:
            problems = [
                f"{'.'.join(str(p) for p in e['loc']) or '(message)'}: {e['msg']}"
                for e in exc.errors()
            ]
            return JSONResponse({"errors": problems}, status_code=422)
        except EncodeError as exc:
            return JSONResponse({"errors": [exc.reason]}, status_code=422)
        message_id = await broker.publish(
            topic, value, request.attributes or None, request.ordering_key or None
        )
        return JSONResponse({"message_id": message_id, "topic": topic})

    @router.get("/api/topics/{topic}/tail")
    async def tail(topic: str, request: Request) -> StreamingResponse:
        known_topic(topic)
        events = tail_events(
            broker, topic, request.headers.get("last-event-id"), request.is_disconnected
        )
        return StreamingResponse(
            events,
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    @router.get("/dead-letters/{subscription}", response_class=HTMLResponse)
    async def dead_letters(subscription: str) -> HTMLResponse:
        known_dead_letters(subscription)
        letters = await peek_dead_letters(broker, subscription, limit=_PEEK_LIMIT)
        shown = [
            {**letter.to_json(), "pretty": json.dumps(letter.to_json().get("payload"), indent=2)}
            for letter in letters
        ]
        return page(
            "dead_letters.html",
            subscription=subscription,
            letters=shown,
            limit=_PEEK_LIMIT,
            max_replays=DEFAULT_MAX_REPLAYS,
        )

    @router.post("/api/dead-letters/{subscription}/replay")
    async def replay(subscription: str, request: ReplayRequest) -> JSONResponse:
        known_dead_letters(subscription)
        try:
            report = await replay_dead_letters(
                broker,
                subscription,
                filter=request.filter or None,
                dry_run=request.dry_run,
                max_replays=request.max_replays,
            )
        except ValueError as exc:  # a filter that does not parse
            return JSONResponse({"errors": [str(exc)]}, status_code=422)
        return JSONResponse(
            {
                "dry_run": report.dry_run,
                "replayed": [r.__dict__ for r in report.replayed],
                "refused": [r.__dict__ for r in report.refused],
                "skipped": report.skipped,
                "error": report.error,
            },
            status_code=200 if report.error is None else 502,
        )

    return router


def _topics(broker: PubSubBroker) -> list[str]:
    """Topics the app knows: registered with a model, or subscribed to."""
    names = dict.fromkeys(broker.topics)
    for s in app_subscribers(broker):
        names.setdefault(s.topic_name.rsplit("/", 1)[-1])
    return list(names)
