"""Prometheus metrics of subscribers and publishes, served by ``FastPubSub(metrics=True)``.

Needs ``prometheus-client`` (the ``metrics`` extra), imported only when metrics are enabled.
One ``Metrics`` observer per process records into the default registry, so an app's own
metrics appear on the same ``/metrics`` page.

Several workers (``pubsub-runtime run --workers N``) each count their own messages; a scrape
reaches one of them. With ``PROMETHEUS_MULTIPROC_DIR`` set (the CLI sets a fresh temporary
folder when N > 1 and it is not set) prometheus-client's multiprocess mode keeps every worker's
values in files there and the page sums them: counters and histograms over all workers ever
started in the folder, gauges over live workers (in flight: sum; loop lag: the worst worker).
The variable must be set before prometheus-client is imported, so before the app module loads.

Metric names (labels ``subscription``, ``alias``, ``topic`` unless said otherwise):
``pubsub_messages_received_total``, ``pubsub_messages_acked_total``,
``pubsub_messages_nacked_total``, ``pubsub_messages_ack_failed_total`` (acks Pub/Sub refused:
exactly-once subscriptions count an ack as acked only once Pub/Sub confirms it),
``pubsub_messages_decode_failed_total``,
``pubsub_messages_dead_lettered_total`` (+ ``reason``: ``decode_error`` when the runtime
published the poison message to the dead-letter topic, ``max_delivery_attempts`` when a nack
on the last allowed attempt hands the message to Pub/Sub's dead-letter policy),
``pubsub_handler_duration_seconds`` (histogram), ``pubsub_messages_in_flight`` (handlers
running), ``pubsub_event_loop_lag_seconds`` and ``pubsub_event_loop_lag_max_seconds`` (no
labels; from the app's loop watchdog), ``pubsub_messages_published_total``,
``pubsub_publish_errors_total`` and ``pubsub_publish_duration_seconds`` (label ``topic``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Final

from pubsub_runtime._observe import (
    Attributes,
    Observer,
    RunFunction,
    SendFunction,
    Settlement,
    Source,
    short_name,
)

if TYPE_CHECKING:
    from pubsub_runtime._message import Message
    from pubsub_runtime._outcome import Outcome

__all__ = [
    "MULTIPROC_ENV",
    "Metrics",
    "metrics",
    "multiprocess_dir_for_workers",
    "multiprocess_mode",
    "render_latest",
]

MULTIPROC_ENV: Final = "PROMETHEUS_MULTIPROC_DIR"
_LEGACY_ENV: Final = "prometheus_multiproc_dir"
_LABELS: Final = ("subscription", "alias", "topic")
# Handlers range from sub-millisecond to minutes.
_HANDLER_BUCKETS: Final = (
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
    120.0, 300.0,
)  # fmt: skip
_PUBLISH_BUCKETS: Final = (
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
)  # fmt: skip


def multiprocess_mode() -> bool:
    """True when prometheus-client keeps values in ``PROMETHEUS_MULTIPROC_DIR`` files."""
    return bool(os.environ.get(MULTIPROC_ENV) or os.environ.get(_LEGACY_ENV))


@contextlib.contextmanager
def multiprocess_dir_for_workers(workers: int) -> Iterator[str | None]:
    """For the CLI: with several workers and no ``PROMETHEUS_MULTIPROC_DIR``, set a fresh one.

    A fresh folder per run, removed at exit: files left by an earlier run would add its
    counts to this one's. A folder the user set is used as it is (and kept).
    """
    if workers <= 1 or multiprocess_mode():
        yield os.environ.get(MULTIPROC_ENV)
        return
    folder = tempfile.mkdtemp(prefix="pubsub-runtime-metrics-")
    os.environ[MULTIPROC_ENV] = folder
    try:
        yield folder
    finally:
        os.environ.pop(MULTIPROC_ENV, None)
        shutil.rmtree(folder, ignore_errors=True)


class _SourceMetrics:
    """The labelled children of one subscriber, looked up once."""

    __slots__ = (
        "ack_failed",
        "acked",
        "dead_lettered_decode",
        "dead_lettered_max_attempts",
        "decode_failed",
        "duration",
        "in_flight",
        "nacked",
        "received",
    )

    def __init__(self, metrics: Metrics, labels: tuple[str, str, str]) -> None:
        self.received = metrics.messages_received.labels(*labels)
        self.acked = metrics.messages_acked.labels(*labels)
        self.nacked = metrics.messages_nacked.labels(*labels)
        self.ack_failed = metrics.messages_ack_failed.labels(*labels)
        self.decode_failed = metrics.messages_decode_failed.labels(*labels)
        self.dead_lettered_decode = metrics.messages_dead_lettered.labels(*labels, "decode_error")
        self.dead_lettered_max_attempts = metrics.messages_dead_lettered.labels(
            *labels, "max_delivery_attempts"
        )
        self.duration = metrics.handler_duration.labels(*labels)
        self.in_flight = metrics.in_flight.labels(*labels)


class Metrics(Observer):
    """Records what subscribers and publishes do as Prometheus metrics (see the module doc)."""

    def __init__(self, registry: Any = None) -> None:
        from prometheus_client import REGISTRY, Counter, Gauge, Histogram

        registry = REGISTRY if registry is None else registry

        def counter(name: str, documentation: str, *extra: str) -> Any:
            return Counter(name, documentation, (*_LABELS, *extra), registry=registry)

        self.messages_received = counter(
            "pubsub_messages_received", "Messages delivered to a subscriber."
        )
        self.messages_acked = counter("pubsub_messages_acked", "Messages acked after handling.")
        self.messages_ack_failed = counter(
            "pubsub_messages_ack_failed", "Acks Pub/Sub refused (the message comes again)."
        )
        self.messages_nacked = counter(
            "pubsub_messages_nacked", "Messages nacked (Pub/Sub redelivers)."
        )
        self.messages_decode_failed = counter(
            "pubsub_messages_decode_failed", "Messages whose payload did not decode."
        )
        self.messages_dead_lettered = counter(
            "pubsub_messages_dead_lettered", "Messages sent to the dead-letter topic.", "reason"
        )
        self.handler_duration = Histogram(
            "pubsub_handler_duration_seconds",
            "Time a handler took on one message.",
            _LABELS,
            buckets=_HANDLER_BUCKETS,
            registry=registry,
        )
        self.in_flight = Gauge(
            "pubsub_messages_in_flight",
            "Messages whose handler is running.",
            _LABELS,
            multiprocess_mode="livesum",
            registry=registry,
        )
        self.loop_lag = Gauge(
            "pubsub_event_loop_lag_seconds",
            "How late the event loop runs its callbacks now (the worst worker).",
            multiprocess_mode="livemax",
            registry=registry,
        )
        self.loop_lag_max = Gauge(
            "pubsub_event_loop_lag_max_seconds",
            "The largest event-loop lag within the watchdog's window (the worst worker).",
            multiprocess_mode="livemax",
            registry=registry,
        )
        self.published = Counter(
            "pubsub_messages_published", "Messages published.", ("topic",), registry=registry
        )
        self.publish_errors = Counter(
            "pubsub_publish_errors", "Publishes that failed.", ("topic",), registry=registry
        )
        self.publish_duration = Histogram(
            "pubsub_publish_duration_seconds",
            "Time from publish() to the message id (batching included).",
            ("topic",),
            buckets=_PUBLISH_BUCKETS,
            registry=registry,
        )
        self._sources: dict[tuple[str, str, str], _SourceMetrics] = {}

    def _of(self, source: Source) -> _SourceMetrics:
        labels = (
            short_name(source.subscription_name),
            source.alias,
            short_name(source.topic_name),
        )
        children = self._sources.get(labels)
        if children is None:
            children = self._sources[labels] = _SourceMetrics(self, labels)
        return children

    # -- observer hooks ----------------------------------------------------------------------

    def received(self, source: Source, message: Message[object]) -> None:
        self._of(source).received.inc()

    def decode_failed(self, source: Source, message: Message[object], reason: str) -> None:
        self._of(source).decode_failed.inc()

    async def handle(self, source: Source, message: Message[object], run: RunFunction) -> Outcome:
        children = self._of(source)
        children.in_flight.inc()
        started = time.perf_counter()
        try:
            return await run()
        finally:
            children.duration.observe(time.perf_counter() - started)
            children.in_flight.dec()

    def settled(self, source: Source, message: Message[object], settlement: Settlement) -> None:
        children = self._of(source)
        if settlement == "ack":
            children.acked.inc()
        elif settlement == "nack":
            children.nacked.inc()
            options = source.options
            attempt = message.delivery_attempt
            if options.dead_letter_topic and attempt and attempt >= options.max_delivery_attempts:
                children.dead_lettered_max_attempts.inc()
        elif settlement == "ack_failed":
            children.ack_failed.inc()
        else:
            children.dead_lettered_decode.inc()

    async def publish(self, topic: str, attributes: Attributes, send: SendFunction) -> str:
        name = short_name(topic)
        started = time.perf_counter()
        try:
            message_id = await send(attributes)
        except BaseException:
            self.publish_errors.labels(name).inc()
            raise
        finally:
            self.publish_duration.labels(name).observe(time.perf_counter() - started)
        self.published.labels(name).inc()
        return message_id

    # -- sampled values ----------------------------------------------------------------------

    def set_loop_lag(self, lag: float, max_lag: float) -> None:
        self.loop_lag.set(lag)
        self.loop_lag_max.set(max_lag)


_metrics: Metrics | None = None


def metrics() -> Metrics:
    """The process's ``Metrics`` (created, and its metrics registered, on first call)."""
    global _metrics
    if _metrics is None:
        _metrics = Metrics()
    return _metrics


def render_latest(accept: str | None = None) -> tuple[bytes, str]:
    """The exposition page and its content type (OpenMetrics when the scraper asks for it)."""
    from prometheus_client import REGISTRY, CollectorRegistry
    from prometheus_client.exposition import choose_encoder

    metrics()  # the page lists the runtime's metrics even before the first message
    encoder, content_type = choose_encoder(accept or "")
    if multiprocess_mode():
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return encoder(registry), content_type
    return encoder(REGISTRY), content_type


def mark_worker_gone() -> None:
    """In multiprocess mode, drop this worker's live gauges (at its shutdown)."""
    if not multiprocess_mode():
        return
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]
