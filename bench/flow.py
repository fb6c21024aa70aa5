"""Comparisons 6-7: latency at a steady rate, and throughput of ``--workers 2`` against 1.

**latency**: per repetition one topic, two subscriptions; ours (``latency-typed``) and the
hand-written ``subscribe()`` (``latency-handwritten``) subscribe at the same time, then
``latency-publish`` sends ``warm + n`` payloads at 1,000 msg/s. Latency is the time from the
publish call to the handler's start with the decoded model, per payload; both sides see the
same messages at the same moments, so the machine's load weighs on both. The first ``warm``
payloads are left out (connections, caches); p50 and p99 of the rest are reported.

**workers**: ``python -m pubsub_runtime run bench._sides_flow:workers_app --workers W`` (the
command of the README) drains a backlog with handlers burning about 200 µs of pure-Python CPU
per message, 2 streams per worker; the rate is taken between the moments the workers' summed
counts pass ``warm`` and ``warm + n``. W = 1 and 2, order alternating.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bench._harness import (
    BenchError,
    Run,
    Spawned,
    alternate,
    create_subscriptions,
    create_topic,
    delete_project_resources,
    fmt_rate,
    new_project,
    publish_backlog,
)
from bench.payloads import PAYLOADS, REPO

RATE = 1000.0
HANDLER_US = 200.0
STREAMS_PER_WORKER = 2
_TITLE = "10-field record, Avro binary"


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def _fmt_ms(value: float) -> str:
    return f"{value:.2f} ms"


def _wait_ready(spawned: list[Spawned], files: list[Path], timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not all(f.exists() for f in files):
        for side in spawned:
            if side.process.poll() is not None:
                side.result()  # raises with the side's log
        if time.monotonic() > deadline:
            raise BenchError(f"subscribers not ready within {timeout:.0f} s")
        time.sleep(0.05)


def latency(run: Run) -> None:
    payload = PAYLOADS["payment"]
    warm, n = (100, 300) if run.quick else (2000, 12000)
    total = warm + n
    sides = ["typed", "handwritten"]
    print(
        f"latency: {payload.name} at {RATE:,.0f} msg/s, {n} messages after {warm}; "
        "ours and hand-written subscribe() at the same time",
        flush=True,
    )
    for rep in range(run.reps):
        project = new_project()
        topic = create_topic(project, payload.name)
        create_subscriptions(project, topic, sides)
        folder = run.workdir / f"latency-{rep}"
        folder.mkdir(parents=True, exist_ok=True)
        timeout = 60.0 + total / RATE * 3
        spawned: dict[str, Spawned] = {}
        try:
            for side in alternate(sides, rep):
                args = {
                    "payload": "payment",
                    "project": project,
                    "subscription": side,
                    "total": total,
                    "timeout": timeout,
                    "out": str(folder / f"{side}.json"),
                    "ready": str(folder / f"{side}.ready"),
                }
                spawned[side] = run.spawn(f"latency-{side}", args)
            _wait_ready(list(spawned.values()), [folder / f"{side}.ready" for side in sides])
            time.sleep(0.5)
            published = run.child(
                "latency-publish",
                {
                    "payload": "payment",
                    "project": project,
                    "total": total,
                    "rate": RATE,
                    "out": str(folder / "sent.json"),
                },
            )
            for side in sides:
                spawned[side].result(timeout + 60)
        finally:
            for child in spawned.values():
                child.stop()
        delete_project_resources(project, topic, sides)
        sent: dict[str, int] = json.loads((folder / "sent.json").read_text())
        measured = list(sent)[warm:]
        line = [f"  rep {rep + 1}: published at {published['rate']:,.0f} msg/s"]
        for side in sides:
            started: dict[str, int] = json.loads((folder / f"{side}.json").read_text())
            missing = sent.keys() - started.keys()
            if missing or len(started) != len(sent):
                raise BenchError(f"latency {side}: {len(missing)} of {total} payloads not handled")
            values = [(started[key] - sent[key]) / 1e6 for key in measured]
            p50, p99 = _percentile(values, 0.5), _percentile(values, 0.99)
            run.add(f"latency.{side}.p50", p50)
            run.add(f"latency.{side}.p99", p99)
            line.append(f"{side} p50 {p50:.2f} ms, p99 {p99:.2f} ms")
        run.add("latency.publish.rate", published["rate"])
        print("; ".join(line), flush=True)
    for q in ("p50", "p99"):
        ratio = run.paired_ratio(f"latency.typed.{q}", f"latency.handwritten.{q}")
        run.row(
            f"Latency {q}, publish -> handler start at {RATE:,.0f} msg/s, {_TITLE}: "
            "typed runtime vs hand-written subscribe()",
            _fmt_ms(run.median(f"latency.typed.{q}")),
            _fmt_ms(run.median(f"latency.handwritten.{q}")),
            ratio,
            "<= 1.00x",
        )


def _handled(report: Path) -> tuple[int, float]:
    """Messages handled and CPU seconds used so far, summed over the workers."""
    count, cpu = 0, 0.0
    for path in report.glob("worker-*"):
        if path.suffix:
            continue  # a count being written
        try:
            handled, used = path.read_text().split()
        except (OSError, ValueError):
            continue
        count, cpu = count + int(handled), cpu + float(used)
    return count, cpu


def _workers_once(run: Run, workers: int, warm: int, n: int, rep: int) -> tuple[float, float]:
    """Messages per second, and the cores the workers kept busy (CPU seconds per second)."""
    payload = PAYLOADS["payment"]
    project = new_project()
    topic = create_topic(project, payload.name)
    create_subscriptions(project, topic, ["workers"])
    publish_backlog(topic, payload, warm + n)
    report = run.workdir / f"workers-{rep}-{workers}"
    report.mkdir(parents=True)
    env = run.child_env(
        extra={
            "BENCH_WORKERS_PROJECT": project,
            "BENCH_WORKERS_TOPIC": payload.name,
            "BENCH_WORKERS_SUBSCRIPTION": "workers",
            "BENCH_WORKERS_REPORT": str(report),
            "BENCH_WORKERS_HANDLER_US": str(HANDLER_US),
            "BENCH_WORKERS_STREAMS": str(STREAMS_PER_WORKER),
        }
    )
    log = run.log_dir / f"workers-{rep}-{workers}.log"
    command = [
        sys.executable,
        "-m",
        "pubsub_runtime",
        "run",
        "bench._sides_flow:workers_app",
        "--workers",
        str(workers),
        "--port",
        "0",
        "--log-level",
        "warning",
    ]
    timeout = 120.0 + (warm + n) / 500.0
    slack = 128 * workers  # messages the workers may still hold unhandled at the end
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=out)
        try:
            start: tuple[float, int, float] | None = None
            end: tuple[float, int, float] | None = None
            deadline = time.monotonic() + timeout
            while end is None:
                if process.poll() is not None:
                    raise BenchError(f"pubsub-runtime run exited {process.returncode} (log {log})")
                if time.monotonic() > deadline:
                    handled = _handled(report)[0]
                    raise BenchError(f"workers={workers}: {handled} of {warm + n} handled")
                (handled, cpu), now = _handled(report), time.monotonic()
                if start is None and handled >= warm:
                    start = (now, handled, cpu)
                # The window closes on a later poll than the one that opened it.
                if (
                    start is not None
                    and handled > start[1]
                    and now > start[0]
                    and handled >= warm + n - slack
                ):
                    end = (now, handled, cpu)
                time.sleep(0.02)
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                code = process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
                code = process.wait()
    delete_project_resources(project, topic, ["workers"])
    if code != 0:
        raise BenchError(f"pubsub-runtime run --workers {workers} exited {code} (log {log})")
    assert start is not None and end is not None
    wall = end[0] - start[0]
    return (end[1] - start[1]) / wall, (end[2] - start[2]) / wall


def workers(run: Run) -> None:
    # A quick run's window still spans many polls: several hundred messages past the slack.
    warm, n = (100, 1200) if run.quick else (4000, 24000)
    counts = (1, 2)
    print(
        f"workers: pubsub-runtime run --workers 1 and 2 ({os.cpu_count()} cores), "
        f"{STREAMS_PER_WORKER} streams each, handlers burning {HANDLER_US:.0f} µs of CPU; "
        f"{n} messages after {warm}",
        flush=True,
    )
    for rep in range(run.reps):
        for count in alternate(counts, rep):
            rate, cores = _workers_once(run, count, warm, n, rep)
            run.add(f"workers.{count}.rate", rate)
            run.add(f"workers.{count}.cores", cores)
            print(
                f"  rep {rep + 1} workers={count}: {rate:,.0f} msg/s, "
                f"{cores:.2f} cores busy in the workers",
                flush=True,
            )
    ratio = run.paired_ratio("workers.2.rate", "workers.1.rate")
    run.row(
        f"Throughput, CPU-bound handlers ({HANDLER_US:.0f} µs/msg), {STREAMS_PER_WORKER} "
        "streams per worker: pubsub-runtime run --workers 2 vs 1",
        fmt_rate(run.median("workers.2.rate")),
        fmt_rate(run.median("workers.1.rate")),
        ratio,
        ">= 1.80x",
    )
    run.row(
        "CPU the workers got (CPU seconds per second, summed over workers): 2 workers vs 1",
        f"{run.median('workers.2.cores'):.2f} cores",
        f"{run.median('workers.1.cores'):.2f} cores",
        run.paired_ratio("workers.2.cores", "workers.1.cores"),
    )
