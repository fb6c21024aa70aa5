"""Comparison 6: decoding with schema revisions, in one process (no emulator).

- A current-revision message through ``TopicSpec.decode`` with the message's attributes (the
  identity the publishers stamp, read from the protobuf map as the subscriber does) against the
  same call without attributes: what every message cost before revisions existed. Both sides
  make the call the same way (a function taking the bytes, keyword arguments), so the ratio is
  the cost of reading the attributes alone.
- A message of an earlier revision (a field since removed, two since added with defaults)
  through ``TopicSpec.decode`` against what a user writes by hand: fastavro's
  ``schemaless_reader(fo, writer_schema, reader_schema)`` + the model's ``model_validate``.

Each repetition times the sides in short alternating chunks of the same messages, and every
chunk pair is one sample: the medians of those paired ratios do not move with the load of a
shared machine, which changes over seconds, not milliseconds.
"""

from __future__ import annotations

import io
import json
import sys
import time
from collections.abc import Callable
from typing import Any

from bench._harness import Run, fmt_us
from bench.payloads import PAYLOADS, PAYMENT_SCHEMA


def _earlier_schema() -> dict[str, Any]:
    """The payment record as an earlier revision wrote it: no captured/note, a legacy field."""
    fields = [f for f in PAYMENT_SCHEMA["fields"] if f["name"] not in ("captured", "note")]
    return {**PAYMENT_SCHEMA, "fields": [*fields, {"name": "legacyCode", "type": "string"}]}


def _per_message(decode: Callable[[bytes], Any], messages: list[bytes]) -> float:
    started = time.perf_counter()
    for data in messages:
        decode(data)
    return (time.perf_counter() - started) / len(messages) * 1e6


def revisions(run: Run) -> None:
    import fastavro
    from google.pubsub_v1 import PubsubMessage

    from pubsub_runtime import TopicSpec, schema_fingerprint

    sys.path[:0] = [str(run.generated)]
    payload = PAYLOADS["payment"]
    today = payload.spec()
    model = today.model
    earlier = json.dumps(_earlier_schema())
    spec = TopicSpec(
        name=today.name,
        model=model,
        schema_type="AVRO",
        encoding="BINARY",
        definition=today.definition,
        named_types=dict(today.named_types),
        writer_schemas={schema_fingerprint(earlier): earlier},
    )
    n = 200 if run.quick else 20000
    current = [spec.encode(payload.make(i)) for i in range(n)]
    writer = fastavro.parse_schema(json.loads(earlier))
    reader = fastavro.parse_schema(json.loads(today.definition))
    old = []
    for i in range(n):
        buffer = io.BytesIO()
        datum = {**payload.make(i).model_dump(by_alias=True), "legacyCode": f"L{i}"}
        fastavro.schemaless_writer(buffer, writer, datum)
        old.append(buffer.getvalue())

    def attributes(values: dict[str, str]) -> Any:
        return PubsubMessage.pb(PubsubMessage(attributes=values)).attributes

    stamped, stamped_old = (
        attributes(dict(spec.attributes)),
        attributes({"avro-fingerprint": schema_fingerprint(earlier)}),
    )
    validate = model.model_validate

    sides: dict[str, Callable[[bytes], Any]] = {
        "rev.current.attributes": lambda d: spec.decode(d, encoding=None, attributes=stamped),
        "rev.current.plain": lambda d: spec.decode(d, encoding=None, attributes=None),
        "rev.old.spec": lambda d: spec.decode(d, attributes=stamped_old),
        "rev.old.fastavro": lambda d: validate(
            fastavro.schemaless_reader(io.BytesIO(d), writer, reader)
        ),
    }
    for side, decode in sides.items():  # correctness first, and warm-up
        messages = current if side.startswith("rev.current") else old
        for i in (0, n - 1):
            expected = payload.make(i).model_dump()
            if side.startswith("rev.old"):
                expected = {**expected, "captured": False, "note": None}
            if decode(messages[i]).model_dump() != expected:
                raise AssertionError(f"{side}: message {i} decoded wrongly")
    chunk = max(n // _CHUNKS, 1)
    for rep in range(run.reps):
        for index in range(_CHUNKS):
            order = list(sides) if (rep + index) % 2 == 0 else list(reversed(sides))
            for side in order:
                messages = current if side.startswith("rev.current") else old
                run.add(
                    side, _per_message(sides[side], messages[index * chunk : (index + 1) * chunk])
                )
    _rows(run)


_CHUNKS = 20


def _rows(run: Run) -> None:
    ratio = run.paired_ratio("rev.current.attributes", "rev.current.plain")
    run.row(
        "Decode a current-revision message with its attributes vs without (before revisions)",
        fmt_us(run.median("rev.current.attributes")),
        fmt_us(run.median("rev.current.plain")),
        ratio,
        "<= 1.10x",
    )
    ratio = run.paired_ratio("rev.old.spec", "rev.old.fastavro")
    run.row(
        "Decode an earlier-revision message: TopicSpec.decode vs fastavro "
        "schemaless_reader(writer, reader) + model_validate",
        fmt_us(run.median("rev.old.spec")),
        fmt_us(run.median("rev.old.fastavro")),
        ratio,
        "<= 1.10x",
    )
