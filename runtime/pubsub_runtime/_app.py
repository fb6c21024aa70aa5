"""``FastPubSub``: a FastAPI application that runs a ``PubSubBroker`` and reports its health.

Lifespan order. Startup: the loop watchdog, then the user's ``lifespan`` and ``on_startup``
hooks, then ``broker.start()``; so resources a handler needs (a database pool made in a startup
hook) exist before the first message arrives. Shutdown runs in reverse: ``broker.stop()`` drains
in-flight handlers first (they may still use those resources; the rest are nacked after
``shutdown_timeout``), then the ``on_shutdown`` hooks and the user's lifespan exit, then the
process pool of ``run_in_process`` and the watchdog. (Lifespans of routers added later with
``include_router`` are entered by FastAPI inside this one, so after the broker has started.)

Health: ``GET /consumers/ready`` is 200 once the broker has started and until it starts stopping;
``GET /consumers/alive`` is 200 when, in addition, every subscriber's stream is up ("running")
and the event loop is responsive (the watchdog runs and its lag is under ``alive_max_lag``).
Both answer 503 otherwise, with the same JSON body (status, reasons, loop lag, subscribers).

Push subscribers (``@broker.push_subscriber``) get a ``POST`` route each, mounted here also when
declared after the app was made; startup checks their configuration and creates the push
subscriptions that ask for it, before the broker starts. A push body larger than
``push_max_body_bytes`` is answered 413 without being read: at once when its ``Content-Length``
says so, else as soon as the bytes read pass the limit. ``metrics=True`` serves Prometheus
metrics at ``metrics_path`` (see ``_metrics``); ``PUBSUB_RUNTIME_TRACING=1`` turns tracing on
at startup (see ``_tracing``).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import os
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.types import Message as AsgiMessage
from starlette.types import Receive, Scope, Send

from pubsub_runtime import _observe
from pubsub_runtime._broker import PubSubBroker
from pubsub_runtime._errors import PubSubUnreachable
from pubsub_runtime._logging import register_alias_topics
from pubsub_runtime._offload import shutdown_process_pool
from pubsub_runtime._push.registry import provision_push_subscriptions, push_registry
from pubsub_runtime._push.subscriber import PushResult, PushSubscriber
from pubsub_runtime._subscriber import Subscriber
from pubsub_runtime._tracing import enable_tracing, tracing_from_env
from pubsub_runtime._watchdog import LoopWatchdog

logger = logging.getLogger("pubsub_runtime.app")

_METRICS_REFRESH = 1.0  # seconds between loop-lag samples when metrics are on

UserLifespan = Callable[[Any], Any]

# Pub/Sub refuses messages over 10 MB (10,000,000 bytes); a wrapped push carries the data in
# base64 (4 bytes per 3) inside a JSON envelope, so its body may be a third larger, plus the
# attributes and metadata (at most 100 attributes of 256 + 1024 bytes, JSON-escaped).
PUSH_MAX_BODY_BYTES = 4 * -(-10_000_000 // 3) + 1024 * 1024


class SubscriberHealth(BaseModel):
    alias: str
    topic: str
    subscription: str
    state: str
    in_flight: int


class LoopHealth(BaseModel):
    running: bool
    lag_ms: float
    max_lag_ms: float
    window_s: float
    block_threshold_ms: float
    blocks_reported: int


class HealthReport(BaseModel):
    """The body of ``/consumers/alive`` and ``/consumers/ready``."""

    status: Literal["ok", "unavailable"]
    check: Literal["alive", "ready"]
    started: bool
    stopping: bool
    reasons: list[str]
    loop: LoopHealth
    subscribers: list[SubscriberHealth]


class FastPubSub(FastAPI):
    """A FastAPI application whose lifespan starts and stops ``broker``.

    Keyword arguments of its own (the rest go to ``FastAPI``): ``shutdown_timeout`` (seconds
    in-flight handlers get to finish on shutdown before being nacked), ``block_threshold``
    (seconds a handler may block the loop before it is reported), ``alive_max_lag`` (loop lag
    above which ``/consumers/alive`` answers 503), ``watchdog`` (a configured ``LoopWatchdog``,
    instead of ``block_threshold``), ``health_prefix`` (where the two health routes live) and
    ``health_in_schema`` (list them in the OpenAPI document), ``metrics`` (serve Prometheus
    metrics at ``metrics_path``; needs the ``metrics`` extra), ``push_in_schema`` (list the
    push routes in the OpenAPI document), ``push_max_body_bytes`` (larger push requests are
    refused with 413 before their body is read; the default admits the largest message Pub/Sub
    accepts, 10 MB, in the base64 of a wrapped push), ``console`` (serve the development console
    at ``console_path``, behind the app's dependencies and ``console_dependencies``; None: on
    when ``PUBSUB_CONSOLE=1``; needs the ``console`` extra).
    """

    def __init__(
        self,
        broker: PubSubBroker,
        *args: Any,
        lifespan: UserLifespan | None = None,
        on_startup: Sequence[Callable[[], Any]] | None = None,
        on_shutdown: Sequence[Callable[[], Any]] | None = None,
        shutdown_timeout: float = 30.0,
        block_threshold: float = 0.1,
        alive_max_lag: float = 1.0,
        watchdog: LoopWatchdog | None = None,
        health_prefix: str = "/consumers",
        health_in_schema: bool = False,
        metrics: bool = False,
        metrics_path: str = "/metrics",
        push_in_schema: bool = False,
        push_max_body_bytes: int = PUSH_MAX_BODY_BYTES,
        console: bool | None = None,
        console_path: str = "/console",
        console_dependencies: Sequence[Any] = (),
        **kwargs: Any,
    ) -> None:
        self._user_lifespan = lifespan
        self._unreachable: PubSubUnreachable | None = None
        super().__init__(
            *args,
            lifespan=self._lifespan,
            on_startup=on_startup,
            on_shutdown=on_shutdown,
            **kwargs,
        )
        self.broker = broker
        self.shutdown_timeout = shutdown_timeout
        self.alive_max_lag = alive_max_lag
        self.watchdog = (
            watchdog if watchdog is not None else LoopWatchdog(threshold=block_threshold)
        )
        prefix = health_prefix.rstrip("/")
        for check in ("alive", "ready"):
            self.add_api_route(
                f"{prefix}/{check}",
                self._health_endpoint(check),
                methods=["GET"],
                response_model=HealthReport,
                responses={503: {"model": HealthReport}},
                include_in_schema=health_in_schema,
                name=f"consumers_{check}",
                summary=f"Consumers {check}",
            )
        self.metrics_enabled = metrics
        self._push_in_schema = push_in_schema
        if push_max_body_bytes < 1:
            raise ValueError(f"push_max_body_bytes must be positive, not {push_max_body_bytes}")
        self.push_max_body_bytes = push_max_body_bytes
        if metrics:
            self.add_api_route(
                metrics_path, self._serve_metrics, methods=["GET"], include_in_schema=False
            )
        push_registry(broker).listen(self._mount_push)
        self.console_enabled = console_from_env() if console is None else console
        if self.console_enabled:
            self._mount_console(console_path.rstrip("/"), console_dependencies)

    # ----------------------------------------------------------------- lifespan
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            send = self._with_one_line_startup_failure(send)
        await super().__call__(scope, receive, send)

    def _with_one_line_startup_failure(self, send: Send) -> Send:
        """An unreachable Pub/Sub is the operator's to fix, not a bug: the server logs its
        one-line message instead of the traceback Starlette puts in the startup failure."""

        async def forward(message: AsgiMessage) -> None:
            if message["type"] == "lifespan.startup.failed" and self._unreachable is not None:
                message = {**message, "message": f"PubSubUnreachable: {self._unreachable}"}
            await send(message)

        return forward

    @asynccontextmanager
    async def _lifespan(self, app: Any) -> AsyncIterator[Any]:
        async with contextlib.AsyncExitStack() as stack:
            self.watchdog.start()
            stack.push_async_callback(self.watchdog.stop)
            stack.push_async_callback(run_in_threadpool, shutdown_process_pool)
            state: Mapping[str, Any] | None = None
            if self._user_lifespan is not None:
                state = await stack.enter_async_context(_as_context(self._user_lifespan, app))
            stack.push_async_callback(_run_hooks, self.router.on_shutdown)
            await _run_hooks(self.router.on_startup)
            topics = {s.alias: s.topic_name for s in self.broker.subscribers}
            pushed = push_registry(self.broker).subscribers
            topics.update({s.alias: s.topic_name for s in pushed})
            register_alias_topics(topics)
            self.watchdog.topics = topics
            if tracing_from_env():
                enable_tracing()
            if self.metrics_enabled:
                await self._start_metrics(stack)
            await provision_push_subscriptions(self.broker)
            # Registered before start so that a start that fails half-way is still undone.
            stack.push_async_callback(self._stop_broker)
            self._unreachable = None
            try:
                await self.broker.start()
            except PubSubUnreachable as exc:
                self._unreachable = exc
                raise
            logger.info(
                "Service started: %d subscriber(s)%s",
                len(topics),
                "".join(f" {alias}<-{topic}" for alias, topic in topics.items()),
            )
            yield state

    async def _stop_broker(self) -> None:
        await self.broker.stop(timeout=self.shutdown_timeout)

    async def _start_metrics(self, stack: contextlib.AsyncExitStack) -> None:
        from pubsub_runtime._metrics import mark_worker_gone, metrics

        recorder = metrics()
        _observe.install(recorder)
        stack.callback(mark_worker_gone)
        stack.callback(_observe.uninstall, recorder)

        async def sample_loop_lag() -> None:
            while True:
                recorder.set_loop_lag(self.watchdog.lag, self.watchdog.max_lag)
                await asyncio.sleep(_METRICS_REFRESH)

        task = asyncio.get_running_loop().create_task(sample_loop_lag(), name="pubsub-metrics")

        async def stop_sampling() -> None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

        stack.push_async_callback(stop_sampling)

    async def _serve_metrics(self, request: Request) -> Response:
        from pubsub_runtime._metrics import metrics, render_latest

        if self.watchdog.running:  # this worker's lag as of now, not of the last sample
            metrics().set_loop_lag(self.watchdog.lag, self.watchdog.max_lag)
        content, content_type = render_latest(request.headers.get("accept"))
        return Response(content=content, media_type=content_type)

    # ----------------------------------------------------------------- push
    def _mount_push(self, subscriber: PushSubscriber) -> None:
        async def endpoint(request: Request) -> Response:
            limit = self.push_max_body_bytes
            refused = _declared_too_large(request, limit)
            if refused is None:
                refused = await subscriber.authenticate(request.headers)
            if refused is None:
                body = await _read_body(request, limit)
                if body is None:
                    result = _too_large(limit)
                else:
                    result = await subscriber.deliver(body, request.headers)
            else:
                result = refused
            if result.status == 413:
                logger.warning(
                    "push subscriber %s: request refused: its body is over %d bytes",
                    subscriber.alias,
                    limit,
                    extra={"alias": subscriber.alias},
                )
            headers = {"WWW-Authenticate": "Bearer"} if result.status == 401 else None
            return Response(
                content=result.reason or None,
                status_code=result.status,
                headers=headers,
                media_type="text/plain" if result.reason else None,
            )

        endpoint.__name__ = f"push_{subscriber.alias}"
        self.add_api_route(
            subscriber.path,
            endpoint,
            methods=["POST"],
            include_in_schema=self._push_in_schema,
            name=f"push_{subscriber.alias}",
            summary=f"Pub/Sub push endpoint of {subscriber.alias}",
        )

    # ----------------------------------------------------------------- console
    def _mount_console(self, path: str, dependencies: Sequence[Any]) -> None:
        try:
            from pubsub_runtime.console import console_router
        except ImportError as exc:
            raise ImportError(
                f"the console needs the 'console' extra ({exc.name} is missing): "
                "pip install 'pubsub-runtime[console]'"
            ) from exc
        self.include_router(console_router(self.broker, path, dependencies), prefix=path)
        logger.warning(
            "the console is on at %s: a development tool that publishes, reads and replays "
            "messages; keep it off in production",
            path,
        )

    # ----------------------------------------------------------------- health
    def health(self, check: Literal["alive", "ready"]) -> HealthReport:
        """The health report that ``GET {health_prefix}/{check}`` answers with."""
        broker = self.broker
        started, stopping = bool(broker.started), bool(broker.stopping)
        sources: list[Subscriber | PushSubscriber] = [
            *broker.subscribers,
            *push_registry(broker).subscribers,
        ]
        subscribers = [
            SubscriberHealth(
                alias=s.alias,
                topic=s.topic_name,
                subscription=s.subscription_name,
                state=str(s.state),
                in_flight=int(s.in_flight),
            )
            for s in sources
        ]
        reasons: list[str] = []
        if stopping:
            reasons.append("the broker is stopping")
        elif not started:
            reasons.append("the broker is not started")
        if check == "alive":
            reasons.extend(
                f"subscriber {s.alias!r} is {s.state}" for s in subscribers if s.state != "running"
            )
            if not self.watchdog.running:
                reasons.append("the event loop watchdog is not running")
            elif self.watchdog.lag > self.alive_max_lag:
                reasons.append(
                    f"the event loop lags {self.watchdog.lag * 1000:.0f} ms "
                    f"(limit {self.alive_max_lag * 1000:.0f} ms)"
                )
        stats = self.watchdog.stats()
        return HealthReport(
            status="unavailable" if reasons else "ok",
            check=check,
            started=started,
            stopping=stopping,
            reasons=reasons,
            loop=LoopHealth(**stats.__dict__),
            subscribers=subscribers,
        )

    def _health_endpoint(self, check: Literal["alive", "ready"]) -> Callable[[], Any]:
        async def endpoint() -> JSONResponse:
            report = self.health(check)
            code = 200 if report.status == "ok" else 503
            return JSONResponse(report.model_dump(mode="json"), status_code=code)

        endpoint.__name__ = f"consumers_{check}"
        return endpoint


def console_from_env() -> bool:
    """``PUBSUB_CONSOLE=1`` (or true, yes, on) turns the console on when the app leaves it unset."""
    return os.environ.get("PUBSUB_CONSOLE", "").strip().lower() in {"1", "true", "yes", "on"}


def _as_context(lifespan: UserLifespan, app: Any) -> AbstractAsyncContextManager[Any]:
    """Accept the lifespan shapes FastAPI accepts: an async generator function, a generator
    function, or a callable returning an (async) context manager."""
    if inspect.isasyncgenfunction(lifespan):
        return asynccontextmanager(lifespan)(app)
    if inspect.isgeneratorfunction(lifespan):
        return _lift(contextlib.contextmanager(lifespan)(app))
    context = lifespan(app)
    if isinstance(context, contextlib.AbstractContextManager) and not isinstance(
        context, AbstractAsyncContextManager
    ):
        return _lift(context)
    return context  # type: ignore[no-any-return]


@asynccontextmanager
async def _lift(context: contextlib.AbstractContextManager[Any]) -> AsyncIterator[Any]:
    with context as value:
        yield value


async def _run_hooks(hooks: Sequence[Callable[[], Any]]) -> None:
    for hook in list(hooks):
        result = hook()
        if inspect.isawaitable(result):
            await result


__all__ = ["FastPubSub", "HealthReport"]


def _too_large(limit: int) -> PushResult:
    return PushResult(413, f"the request body is over {limit} bytes")


def _declared_too_large(request: Request, limit: int) -> PushResult | None:
    """413 when the ``Content-Length`` header alone says the body is too large (or is garbled)."""
    declared = request.headers.get("content-length")
    if declared is None:
        return None
    try:
        size = int(declared)
    except ValueError:
        return PushResult(400, "the Content-Length header is not a number")
    return _too_large(limit) if size > limit else None


async def _read_body(request: Request, limit: int) -> bytes | None:
    """The body, read as it streams in; ``None`` as soon as it passes ``limit`` bytes."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
