"""Sides of the latency and workers comparisons, each run in its own process.

Latency: two subscribers (ours and the hand-written one) run at the same time on their own
subscriptions of one topic, while ``latency-publish`` publishes at a steady rate. The publisher
writes the ``time.monotonic_ns()`` at which it sent each payload; each subscriber writes the one
at which its handler started with the decoded model. ``CLOCK_MONOTONIC`` is one clock for every
process of the machine, so the parent subtracts the two per payload.

- ``latency-typed``: ``PubSubBroker`` with the generated ``TOPICS``, a handler typed with the
  model (the runtime as a service runs it: batched acks, flow control, 1 stream).
- ``latency-handwritten``: ``SubscriberClient.subscribe`` with a callback decoding by hand
  (fastavro + ``model_validate``), its time taken once the model is there, then ``ack()``.
- ``latency-publish``: ``PublisherAsyncClient.publish`` of one message every ``1/rate`` s (on a
  schedule, so a late send does not shift the ones after it).

Workers: ``workers_app`` (``python -m pubsub_runtime run bench._sides_flow:workers_app``) is a
``FastPubSub`` app with one subscriber whose handler does a fixed amount of pure-Python work per
message (``spin``, as many turns as the parent says); every worker process reports its count
of handled messages so far to a file named after its pid (the parent reads the processes' CPU
time from ``/proc``).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.payloads import PAYLOADS


def _ready(args: dict[str, Any]) -> None:
    """Tell the parent the subscriber is pulling (it waits for this file before publishing)."""
    Path(args["ready"]).touch()


def _write_times(path: str, times: dict[str, int]) -> None:
    Path(path).write_text(json.dumps(times))


def latency_typed(args: dict[str, Any]) -> dict[str, Any]:
    from pubsub_runtime import PubSubBroker

    payload = PAYLOADS[args["payload"]]
    total = int(args["total"])
    topics = importlib.import_module(payload.module).TOPICS
    key_field = payload.key_field
    clock = time.monotonic_ns

    async def main() -> dict[str, Any]:
        started: dict[str, int] = {}
        done = asyncio.Event()
        broker = PubSubBroker(args["project"], topics=topics)

        async def handle(event: Any) -> None:
            started[str(getattr(event, key_field))] = clock()
            if len(started) >= total:
                done.set()

        handle.__annotations__ = {"event": payload.model(), "return": None}
        broker.subscriber(
            "latency",
            topic_name=payload.name,
            subscription_name=args["subscription"],
            autocreate=False,
        )(handle)
        await broker.start()
        _ready(args)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), float(args["timeout"]))
        await broker.stop()
        _write_times(args["out"], started)
        return {"received": len(started)}

    return asyncio.run(main())


def latency_handwritten(args: dict[str, Any]) -> dict[str, Any]:
    from google.cloud import pubsub_v1

    from bench.payloads import handwritten_decoder

    payload = PAYLOADS[args["payload"]]
    total = int(args["total"])
    decode = handwritten_decoder(payload)
    key_field = payload.key_field
    clock = time.monotonic_ns
    started: dict[str, int] = {}
    done = threading.Event()

    def callback(message: Any) -> None:
        model = decode(message.data)
        started[str(getattr(model, key_field))] = clock()  # a dict store: atomic under the GIL
        message.ack()
        if len(started) >= total:
            done.set()

    client = pubsub_v1.SubscriberClient()
    path = client.subscription_path(args["project"], args["subscription"])
    future = client.subscribe(path, callback)
    time.sleep(1.0)  # subscribe() does not say when its stream is open
    _ready(args)
    done.wait(float(args["timeout"]))
    future.cancel()
    with contextlib.suppress(Exception):  # cancelled is how it ends
        future.result(timeout=30)
    client.close()
    _write_times(args["out"], dict(started))
    return {"received": len(started)}


def latency_publish(args: dict[str, Any]) -> dict[str, Any]:
    from google.pubsub_v1 import PublisherAsyncClient, PubsubMessage

    payload = PAYLOADS[args["payload"]]
    total, rate = int(args["total"]), float(args["rate"])
    spec = payload.spec()
    attributes = dict(spec.attributes)
    items = [(payload.key(m), spec.encode(m)) for m in (payload.make(i) for i in range(total))]
    topic = f"projects/{args['project']}/topics/{payload.name}"

    async def main() -> dict[str, Any]:
        client = PublisherAsyncClient()
        loop = asyncio.get_running_loop()
        sent: dict[str, int] = {}
        pending: set[asyncio.Task[Any]] = set()
        start = loop.time() + 0.05
        late = 0
        for index, (key, data) in enumerate(items):
            due = start + index / rate
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            elif wait < -0.005:
                late += 1
            message = PubsubMessage(data=data, attributes=attributes)
            sent[key] = time.monotonic_ns()
            task = loop.create_task(client.publish(topic=topic, messages=[message], timeout=60))
            pending.add(task)
            task.add_done_callback(pending.discard)
        elapsed = loop.time() - start
        await asyncio.gather(*pending)
        await client.transport.close()  # type: ignore[no-untyped-call]
        _write_times(args["out"], sent)
        return {"rate": total / elapsed if elapsed > 0 else 0.0, "late": late}

    return asyncio.run(main())


# -- workers ----------------------------------------------------------------------------------


def spin(loops: int) -> int:
    """Pure-Python CPU work: ``loops`` turns of a loop (the handler of the workers comparison)."""
    total = 0
    for i in range(loops):
        total += i * i % 7
    return total


def loops_for(micros: float) -> int:
    """Turns of ``spin`` that take about ``micros`` µs of CPU on this machine.

    Measured once, by the parent of the comparison, and handed to every worker: each worker of
    each run then does the same work per message. Measured in each worker, it moved with the
    load at that moment (one run's handlers did 25% less work than another's).
    """
    loops = 50_000  # short tries: the fastest of many is one no other process disturbed
    best = float("inf")
    for _ in range(20):
        t0 = time.process_time()
        spin(loops)
        best = min(best, time.process_time() - t0)
    return max(1, round(micros * loops / (best * 1e6)))


def _workers_app() -> Any:
    """The app of the workers comparison; configured by ``BENCH_WORKERS_*`` variables.

    Each worker writes ``ready-<pid>`` once its streams are open, and its handlers hold the
    messages they get until the parent writes ``go``: the parent publishes the backlog between
    the two, so every worker starts on it at the same moment (a worker that started a second
    late would otherwise find part of the backlog drained by the others).
    """
    from pubsub_runtime import FastPubSub, Message, PubSubBroker

    project = os.environ["BENCH_WORKERS_PROJECT"]
    report_dir = Path(os.environ["BENCH_WORKERS_REPORT"])
    loops = int(os.environ["BENCH_WORKERS_HANDLER_LOOPS"])
    streams = int(os.environ["BENCH_WORKERS_STREAMS"])
    broker = PubSubBroker(project)
    go = asyncio.Event()
    tasks: list[asyncio.Task[None]] = []

    def streams_open() -> bool:
        return broker.started and all(s.state == "running" for s in broker.subscribers)

    async def ready_then_go() -> None:
        while not streams_open():  # noqa: ASYNC110 - plain attributes, no event to wait on
            await asyncio.sleep(0.02)
        (report_dir / f"ready-{os.getpid()}").touch()
        while not (report_dir / "go").exists():  # noqa: ASYNC110 - the parent's file
            await asyncio.sleep(0.01)
        go.set()

    def start_gate() -> None:  # on_startup runs in the server's loop, before broker.start()
        tasks.append(asyncio.get_running_loop().create_task(ready_then_go()))

    app = FastPubSub(broker, on_startup=[start_gate])
    counter = {"n": 0}
    report = report_dir / f"worker-{os.getpid()}"

    @broker.subscriber(
        "workers",
        topic_name=os.environ["BENCH_WORKERS_TOPIC"],
        subscription_name=os.environ["BENCH_WORKERS_SUBSCRIPTION"],
        autocreate=False,
        streams=streams,
    )
    async def handle(message: Message[Any]) -> None:
        if not go.is_set():
            await go.wait()
        spin(loops)
        counter["n"] += 1
        if not counter["n"] & 127:
            # rename: the parent never reads a half-written count
            tmp = report.with_suffix(".tmp")
            tmp.write_text(str(counter["n"]))
            tmp.replace(report)

    return app


workers_app: Any = _workers_app() if "BENCH_WORKERS_PROJECT" in os.environ else None


SIDES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "latency-typed": latency_typed,
    "latency-handwritten": latency_handwritten,
    "latency-publish": latency_publish,
}
