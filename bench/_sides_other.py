"""Publishing sides and codec loops, each run in its own process.

- ``publish-typed``: the generated ``<Model>Publisher.publish_many`` on a ``PubSubBroker``
  (encode with the topic's codec, batched Publish RPCs on the async GAPIC client).
- ``publish-client``: ``PublisherClient.publish`` with its default batching on bytes encoded
  before the clock starts (so the baseline pays nothing for encoding).
- ``codec``: a loop of decode or encode calls, ours (``TopicSpec``) or hand-written (fastavro
  plus the same model), to show where the per-message CPU goes.

Models are built before the clock starts on both publishing sides. ``warm`` messages go out
first (client creation, channel set-up), then ``n`` are timed.
"""

from __future__ import annotations

import asyncio
import importlib
import time
from collections.abc import Callable
from typing import Any

from bench.payloads import PAYLOADS


def publish_typed(args: dict[str, Any]) -> dict[str, Any]:
    from pubsub_runtime import PubSubBroker

    payload = PAYLOADS[args["payload"]]
    warm, n = int(args["warm"]), int(args["n"])
    module = importlib.import_module(payload.module)
    publisher_class = getattr(module, f"{payload.model_name}Publisher")
    models = [payload.make(i) for i in range(warm + n)]

    async def main() -> dict[str, Any]:
        broker = PubSubBroker(args["project"], topics=module.TOPICS)
        publisher = publisher_class(broker)
        await publisher.publish_many(models[:warm])
        c0, w0 = time.process_time(), time.monotonic()
        ids = await publisher.publish_many(models[warm:])
        c1, w1 = time.process_time(), time.monotonic()
        await broker.stop()
        if len(set(ids)) != n:
            raise AssertionError(f"{len(set(ids))} distinct message ids for {n} publishes")
        return {"cpu_us": (c1 - c0) / n * 1e6, "rate": n / (w1 - w0)}

    return asyncio.run(main())


def publish_client(args: dict[str, Any]) -> dict[str, Any]:
    from google.cloud import pubsub_v1

    payload = PAYLOADS[args["payload"]]
    warm, n = int(args["warm"]), int(args["n"])
    spec = payload.spec()
    attributes = dict(spec.attributes)
    data = [spec.encode(payload.make(i)) for i in range(warm + n)]
    client = pubsub_v1.PublisherClient()
    path = client.topic_path(args["project"], payload.name)
    for future in [client.publish(path, item, **attributes) for item in data[:warm]]:
        future.result(timeout=120)
    c0, w0 = time.process_time(), time.monotonic()
    futures = [client.publish(path, item, **attributes) for item in data[warm:]]
    ids = [future.result(timeout=120) for future in futures]
    c1, w1 = time.process_time(), time.monotonic()
    client.stop()
    if len(set(ids)) != n:
        raise AssertionError(f"{len(set(ids))} distinct message ids for {n} publishes")
    return {"cpu_us": (c1 - c0) / n * 1e6, "rate": n / (w1 - w0)}


def codec(args: dict[str, Any]) -> dict[str, Any]:
    """``n`` decode (or encode) calls over ``distinct`` different payloads."""
    from bench.payloads import handwritten_decoder, handwritten_encoder

    payload = PAYLOADS[args["payload"]]
    n, distinct = int(args["n"]), int(args["distinct"])
    spec = payload.spec()
    models = [payload.make(i) for i in range(distinct)]
    data = [spec.encode(model) for model in models]
    call: Callable[[Any], Any]
    if args["op"] == "decode":
        validated = args["impl"] == "hand-validated"
        call = (
            spec.decode
            if args["impl"] == "ours"
            else handwritten_decoder(payload, validated=validated)
        )
        inputs: list[Any] = data
    else:
        call = spec.encode if args["impl"] == "ours" else handwritten_encoder(payload)
        inputs = models
    outputs = [call(item) for item in inputs]  # warm-up, and the correctness check
    if outputs != (models if args["op"] == "decode" else data):
        raise AssertionError(f"{args['impl']} {args['op']} does not round-trip")
    rounds = max(1, n // distinct)
    c0 = time.process_time()
    for _ in range(rounds):
        for item in inputs:
            call(item)
    c1 = time.process_time()
    return {"cpu_us": (c1 - c0) / (rounds * distinct) * 1e6}


SIDES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "publish-typed": publish_typed,
    "publish-client": publish_client,
    "codec": codec,
}
