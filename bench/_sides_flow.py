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
``FastPubSub`` app with one subscriber whose handler burns a fixed amount of pure-Python CPU per
message; every worker process reports its count of handled messages and its CPU time so far
to a file of its own.
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


def burn(micros: float) -> int:
    """About ``micros`` µs of pure-Python CPU (calibrated once per process)."""
    return _spin(int(micros * _loops_per_us()))


def _spin(loops: int) -> int:
    total = 0
    for i in range(loops):
        total += i * i % 7
    return total


_calibrated: list[float] = []


def _loops_per_us() -> float:
    if not _calibrated:
        loops = 200_000
        best = float("inf")
        for _ in range(5):
            t0 = time.process_time()
            _spin(loops)
            best = min(best, time.process_time() - t0)
        _calibrated.append(loops / (best * 1e6))
    return _calibrated[0]


def _workers_app() -> Any:
    """The app of the workers comparison; configured by ``BENCH_WORKERS_*`` variables."""
    from pubsub_runtime import FastPubSub, Message, PubSubBroker

    project = os.environ["BENCH_WORKERS_PROJECT"]
    report_dir = Path(os.environ["BENCH_WORKERS_REPORT"])
    micros = float(os.environ["BENCH_WORKERS_HANDLER_US"])
    streams = int(os.environ["BENCH_WORKERS_STREAMS"])
    broker = PubSubBroker(project)
    app = FastPubSub(broker)
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
        burn(micros)
        counter["n"] += 1
        if not counter["n"] & 127:
            # rename: the parent never reads a half-written count
            tmp = report.with_suffix(".tmp")
            tmp.write_text(f"{counter['n']} {time.process_time()}")
            tmp.replace(report)

    _loops_per_us()
    return app


workers_app: Any = _workers_app() if "BENCH_WORKERS_PROJECT" in os.environ else None


SIDES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "latency-typed": latency_typed,
    "latency-handwritten": latency_handwritten,
    "latency-publish": latency_publish,
}
