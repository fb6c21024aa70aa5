"""Receiving sides, each run in its own process against a backlog published by the parent.

Every side counts distinct messages; CPU (``time.process_time``: all threads of the process)
and wall time are taken when message ``warm`` arrives and when the last one does, so start-up
and connection are left out. Afterwards each side checks that it received exactly the
published payloads (decoded models equal to the expected ones; raw bytes for the floor).

- ``receive-typed``: ``PubSubBroker`` with the generated ``TOPICS`` and a handler typed with
  the model (decode, validate, dispatch as a task, batched ack).
- ``receive-untyped``: the same broker with no codec, the handler takes the ``Message``.
- ``receive-handwritten``: ``SubscriberClient.subscribe`` with a callback doing fastavro + the
  same model's ``model_validate`` + ``message.ack()``.
- ``receive-floor``: ``SubscriberAsyncClient.streaming_pull`` with no decode, the raw protobuf
  read and acks sent on the stream once per response: the least a Python client can do.
- ``receive-floor-decode``: the lean floor with the hand-written decode in its loop (each
  message decoded where it arrives, the model kept): the floor of a typed subscriber.
- ``receive-floor-gapic``: the same loop as usually written: proto-plus message wrappers and
  one unary ``acknowledge`` per response (what the issue's "35-45 µs floor" measured).
- ``receive-fastpubsub``: FastPubSub 0.9.8 (its own venv) with the hand-written decode.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import threading
import time
from collections.abc import Callable
from typing import Any

from bench.payloads import PAYLOADS, Payload


class Counter:
    """Distinct messages seen, and the CPU/wall clock at the start and end of the window."""

    def __init__(self, warm: int, total: int, on_done: Callable[[], None]) -> None:
        self.warm = warm
        self.total = total
        self.seen: dict[Any, Any] = {}
        self.duplicates = 0
        self.start: tuple[float, float] | None = None
        self.end: tuple[float, float] | None = None
        self._on_done = on_done

    def hit(self, key: Any, value: Any) -> None:
        seen = self.seen
        if key in seen:
            self.duplicates += 1
            return
        seen[key] = value
        count = len(seen)
        if not count & 1023:
            # Real handlers keep nothing; this one keeps every payload for the final check.
            # Freezing them keeps the garbage collector from scanning an ever larger heap.
            gc.freeze()
        if count == self.warm:
            self.start = (time.process_time(), time.monotonic())
        if count == self.total:
            self.end = (time.process_time(), time.monotonic())
            self._on_done()

    def result(self, measured: int) -> dict[str, Any]:
        if self.start is None or self.end is None:
            raise AssertionError(f"received {len(self.seen)} of {self.total} messages in time")
        cpu = self.end[0] - self.start[0]
        wall = self.end[1] - self.start[1]
        return {
            "cpu_us": cpu / measured * 1e6,
            "rate": measured / wall if wall > 0 else 0.0,
            "duplicates": self.duplicates,
        }


def _window(args: dict[str, Any]) -> tuple[Payload, int, int]:
    payload = PAYLOADS[args["payload"]]
    warm, n = int(args["warm"]), int(args["n"])
    return payload, warm, warm + n


def check_models(payload: Payload, seen: dict[Any, Any], total: int) -> None:
    """The decoded models are exactly payloads ``0 .. total-1``.

    Handlers key what they saw by the key field's value as it is (a UUID): turning it into a
    string is work the baselines' bookkeeping does not do, so it happens here, after the clock.
    """
    seen = {str(key): model for key, model in seen.items()}
    expected = {payload.key(m): m for m in (payload.make(i) for i in range(total))}
    if seen.keys() != expected.keys():
        missing, extra = expected.keys() - seen.keys(), seen.keys() - expected.keys()
        raise AssertionError(f"{len(missing)} payloads missing, {len(extra)} unexpected")
    wrong = [key for key, model in expected.items() if seen[key] != model]
    if wrong:
        raise AssertionError(f"{len(wrong)} payloads decoded differently, e.g. {seen[wrong[0]]!r}")


def check_bytes(payload: Payload, seen: dict[str, Any], total: int) -> None:
    spec = payload.spec()
    expected = {spec.encode(payload.make(i)) for i in range(total)}
    if set(seen.values()) != expected or len(seen) != total:
        raise AssertionError("the raw payloads received differ from the published ones")


def _timeout(total: int) -> float:
    return 60.0 + total / 300.0


def receive_typed(args: dict[str, Any]) -> dict[str, Any]:
    return _receive_runtime(args, typed=True)


def receive_untyped(args: dict[str, Any]) -> dict[str, Any]:
    """The runtime without a codec: the handler takes the ``Message`` (its overhead alone)."""
    return _receive_runtime(args, typed=False)


def _receive_runtime(args: dict[str, Any], *, typed: bool) -> dict[str, Any]:
    import importlib

    from pubsub_runtime import Message, PubSubBroker

    payload, warm, total = _window(args)
    topics = importlib.import_module(payload.module).TOPICS if typed else None
    key_field = payload.key_field

    async def main() -> dict[str, Any]:
        done = asyncio.Event()
        counter = Counter(warm, total, done.set)
        hit = counter.hit
        broker = PubSubBroker(args["project"], topics=topics)

        async def handle_model(event: Any) -> None:
            hit(getattr(event, key_field), event)

        async def handle_message(message: Message[Any]) -> None:
            hit(message.id, message.data)

        handle_model.__annotations__ = {"event": payload.model(), "return": None}
        broker.subscriber(
            "bench",
            topic_name=payload.name,
            subscription_name=args["subscription"],
            autocreate=False,
            streams=int(args.get("streams", 1)),
        )(handle_model if typed else handle_message)
        await broker.start()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), _timeout(total))
        await broker.stop()
        result = counter.result(total - warm)
        (check_models if typed else check_bytes)(payload, counter.seen, total)
        return result

    return asyncio.run(main())


def receive_handwritten(args: dict[str, Any]) -> dict[str, Any]:
    from google.cloud import pubsub_v1

    from bench.payloads import handwritten_decoder

    payload, warm, total = _window(args)
    decode = handwritten_decoder(payload)
    key_field = payload.key_field
    done = threading.Event()
    counter = Counter(warm, total, done.set)
    lock = threading.Lock()

    def callback(message: Any) -> None:
        model = decode(message.data)
        message.ack()
        with lock:
            counter.hit(getattr(model, key_field), model)

    client = pubsub_v1.SubscriberClient()
    path = client.subscription_path(args["project"], args["subscription"])
    future = client.subscribe(path, callback)
    done.wait(_timeout(total))
    future.cancel()
    with contextlib.suppress(Exception):  # cancelled is how it ends
        future.result(timeout=30)
    client.close()
    result = counter.result(total - warm)
    check_models(payload, counter.seen, total)
    return result


def receive_floor(args: dict[str, Any]) -> dict[str, Any]:
    return _streaming_pull(args, lean=True)


def receive_floor_decode(args: dict[str, Any]) -> dict[str, Any]:
    return _streaming_pull(args, lean=True, decode=True)


def receive_floor_gapic(args: dict[str, Any]) -> dict[str, Any]:
    return _streaming_pull(args, lean=False)


def _streaming_pull(args: dict[str, Any], *, lean: bool, decode: bool = False) -> dict[str, Any]:
    from google.pubsub_v1 import (
        StreamingPullRequest,
        StreamingPullResponse,
        SubscriberAsyncClient,
    )

    from bench.payloads import handwritten_decoder

    payload, warm, total = _window(args)
    decoder = handwritten_decoder(payload)
    key_field = payload.key_field
    subscription = f"projects/{args['project']}/subscriptions/{args['subscription']}"
    raw = StreamingPullResponse.pb

    async def main() -> dict[str, Any]:
        done = asyncio.Event()
        counter = Counter(warm, total, done.set)
        hit = counter.hit
        acks: asyncio.Queue[list[str] | None] = asyncio.Queue()

        async def requests() -> Any:
            yield StreamingPullRequest(
                subscription=subscription,
                stream_ack_deadline_seconds=60,
                max_outstanding_messages=1000,
            )
            while (ack_ids := await acks.get()) is not None:
                yield StreamingPullRequest(ack_ids=ack_ids)

        client = SubscriberAsyncClient()
        call: Any = await client.streaming_pull(requests=requests(), timeout=None)

        async def read_lean() -> None:
            async for response in call:
                received = raw(response).received_messages
                ack_ids = []
                for item in received:
                    ack_ids.append(item.ack_id)
                    hit(item.message.message_id, item.message.data)
                acks.put_nowait(ack_ids)

        async def read_lean_decode() -> None:
            async for response in call:
                received = raw(response).received_messages
                ack_ids = []
                for item in received:
                    ack_ids.append(item.ack_id)
                    model = decoder(item.message.data)
                    hit(getattr(model, key_field), model)
                acks.put_nowait(ack_ids)

        async def read_gapic() -> None:
            async for response in call:
                ack_ids = []
                for item in response.received_messages:
                    ack_ids.append(item.ack_id)
                    hit(item.message.message_id, item.message.data)
                await client.acknowledge(subscription=subscription, ack_ids=ack_ids)

        reader = asyncio.create_task(
            (read_lean_decode() if decode else read_lean()) if lean else read_gapic()
        )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), _timeout(total))
        await asyncio.sleep(0.2)  # let the last acks leave
        acks.put_nowait(None)
        reader.cancel()
        await asyncio.gather(reader, return_exceptions=True)
        call.cancel()
        await client.transport.close()  # type: ignore[no-untyped-call]
        result = counter.result(total - warm)
        (check_models if decode else check_bytes)(payload, counter.seen, total)
        return result

    return asyncio.run(main())


def receive_fastpubsub(args: dict[str, Any]) -> dict[str, Any]:
    """FastPubSub 0.9.8 under Python 3.12; its handler does the hand-written decode."""
    from fastpubsub import Message, PubSubBroker  # type: ignore[import-not-found]

    from bench.payloads import handwritten_decoder

    payload, warm, total = _window(args)
    decode = handwritten_decoder(payload)
    key_field = payload.key_field

    async def main() -> dict[str, Any]:
        done = asyncio.Event()
        counter = Counter(warm, total, done.set)
        hit = counter.hit
        broker = PubSubBroker(project_id=args["project"])

        async def handle(message: Message) -> None:
            model = decode(message.data)
            hit(getattr(model, key_field), model)

        broker.subscriber(
            "bench",
            topic_name=payload.name,
            subscription_name=args["subscription"],
            autocreate=False,
        )(handle)
        await broker.start()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), _timeout(total))
        await broker.shutdown()
        result = counter.result(total - warm)
        check_models(payload, counter.seen, total)
        return result

    return asyncio.run(main())


SIDES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "receive-typed": receive_typed,
    "receive-untyped": receive_untyped,
    "receive-handwritten": receive_handwritten,
    "receive-floor": receive_floor,
    "receive-floor-decode": receive_floor_decode,
    "receive-floor-gapic": receive_floor_gapic,
    "receive-fastpubsub": receive_fastpubsub,
}
