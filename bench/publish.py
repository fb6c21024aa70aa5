"""Comparison 4: CPU per published message, typed publisher vs ``PublisherClient``.

Each side publishes to the payload's topic in its own fresh emulator project. In ``--quick``
mode a subscription created beforehand is drained by the parent, which checks that every
published payload arrived and decodes to the model that was published.
"""

from __future__ import annotations

from bench._harness import (
    BenchError,
    Run,
    alternate,
    create_subscriptions,
    create_topic,
    delete_project_resources,
    fmt_us,
    new_project,
    pull_all,
)
from bench.payloads import PAYLOADS

SIDES = ("typed", "client")
_TITLES = {"payment": "10-field record, Avro binary", "order": "OrderPlaced, Avro JSON"}


def publish(run: Run) -> None:
    warm, n = (20, 200) if run.quick else (2000, 20000)
    for key in ("payment", "order"):
        payload = PAYLOADS[key]
        print(f"publish {payload.name}: {n} messages after {warm}", flush=True)
        for rep in range(run.reps):
            for side in alternate(SIDES, rep):
                project = new_project()
                topic = create_topic(project, payload.name)
                if run.quick:
                    create_subscriptions(project, topic, ["check"])
                args = {"payload": key, "project": project, "warm": warm, "n": n}
                result = run.child(f"publish-{side}", args)
                if run.quick:
                    _check(key, project, warm + n)
                delete_project_resources(project, topic, ["check"] if run.quick else [])
                run.add(f"publish.{key}.{side}.cpu", result["cpu_us"])
                run.add(f"publish.{key}.{side}.rate", result["rate"])
                print(
                    f"  rep {rep + 1} {side}: {result['cpu_us']:.1f} µs/msg, "
                    f"{result['rate']:,.0f} msg/s",
                    flush=True,
                )
            if key == "payment":
                _encode_loops(run, rep)
        ratio = run.paired_ratio(f"publish.{key}.typed.cpu", f"publish.{key}.client.cpu")
        run.row(
            f"Publish CPU, {_TITLES[key]}: typed publisher (encode + publish) vs "
            "PublisherClient on pre-encoded bytes",
            fmt_us(run.median(f"publish.{key}.typed.cpu")),
            fmt_us(run.median(f"publish.{key}.client.cpu")),
            ratio,
            "<= 0.50x",
        )
    ratio = run.paired_ratio("encode.payment.ours", "encode.payment.hand")
    run.row(
        f"Encode only, {_TITLES['payment']}: TopicSpec.encode vs model_dump + fastavro",
        fmt_us(run.median("encode.payment.ours")),
        fmt_us(run.median("encode.payment.hand")),
        ratio,
        "",
    )


def _encode_loops(run: Run, rep: int) -> None:
    n, distinct = (200, 50) if run.quick else (20000, 2000)
    for impl in alternate(["ours", "hand"], rep):
        args = {"payload": "payment", "op": "encode", "impl": impl, "n": n, "distinct": distinct}
        run.add(f"encode.payment.{impl}", run.child("codec", args)["cpu_us"])


def _check(key: str, project: str, total: int) -> None:
    payload = PAYLOADS[key]
    spec = payload.spec()
    received = [spec.decode(data) for data in pull_all(project, "check", total)]
    expected = [payload.make(i) for i in range(total)]
    by_key = {payload.key(model): model for model in received}
    if len(by_key) != total or any(by_key.get(payload.key(m)) != m for m in expected):
        raise BenchError(f"publish {payload.name}: the received payloads differ from the published")
