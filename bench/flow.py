"""Comparisons 6-7: latency at a steady rate, and throughput of ``--workers 2`` against 1.

**latency**: per repetition one topic, two subscriptions; ours (``latency-typed``) and the
hand-written ``subscribe()`` (``latency-handwritten``) subscribe at the same time, then
``latency-publish`` sends ``warm + n`` payloads at 1,000 msg/s. Latency is the time from the
publish call to the handler's start with the decoded model, per payload; both sides see the
same messages at the same moments, so the machine's load weighs on both. The first ``warm``
payloads are left out (connections, caches); p50 and p99 of the rest are reported.

**workers**: ``python -m pubsub_runtime run bench._sides_flow:workers_app --workers W`` (the
command of the README) drains a backlog with handlers doing about 200 µs of pure-Python work per
message (the same number of loop turns in every run), 2 streams per worker. The backlog is
published once every worker has its streams open, while their handlers hold still, so the workers
start on it together; the window opens when the summed counts pass ``warm`` and closes ``n``
messages later, before the backlog runs out (each worker is busy to the end). W = 1 and 2, order
alternating. Throughput is only half the story on a machine whose cores the emulator (and anything
else running) shares: over the same window the parent reads from ``/proc`` the CPU time of the
workers, of the emulator's JVM and of the whole machine, and derives the *ceiling*: the rate W
workers could reach on the idle machine with the CPU per message measured (a worker uses at most
one core; the workers and the emulator together at most every core).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench import _cpu as cpu
from bench._harness import (
    BenchError,
    Run,
    Spawned,
    alternate,
    create_subscriptions,
    create_topic,
    delete_project_resources,
    fmt_rate,
    fmt_us,
    new_project,
    publish_backlog,
)
from bench._sides_flow import loops_for
from bench.payloads import PAYLOADS, REPO

RATE = 1000.0
HANDLER_US = 200.0
GOAL = 1.8  # --workers 2 against 1
STREAMS_PER_WORKER = 2
LEASED_PER_WORKER = 1000  # the subscriber's max_messages: what one worker may hold
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


def _counts(report: Path) -> dict[int, int]:
    """Messages handled so far by each worker process (by pid)."""
    counts: dict[int, int] = {}
    for path in report.glob("worker-*"):
        if path.suffix:
            continue  # a count being written
        try:
            counts[int(path.name.removeprefix("worker-"))] = int(path.read_text())
        except (OSError, ValueError):
            continue
    return counts


@dataclass(frozen=True)
class _Window:
    """What one ``--workers W`` drain measured between the two moments of its window."""

    wall: float
    handled: dict[int, int]  # per worker pid, within the window
    workers_cpu: float  # CPU seconds of the worker processes (and the supervisor, W > 1)
    emulator_cpu: float | None  # of the emulator's JVM; None when it could not be read
    others_cpu: float | None  # of every other process of the machine (the bench's excepted)

    @property
    def messages(self) -> int:
        return sum(self.handled.values())

    @property
    def rate(self) -> float:
        return self.messages / self.wall


def _wait_for_workers(
    process: subprocess.Popen[bytes], report: Path, workers: int, log: Path
) -> list[int]:
    """Wait until every worker has its streams open (it writes ``ready-<pid>``); their pids."""
    deadline = time.monotonic() + 120.0
    while len(ready := list(report.glob("ready-*"))) < workers:
        if process.poll() is not None:
            raise BenchError(f"pubsub-runtime run exited {process.returncode} (log {log})")
        if time.monotonic() > deadline:
            raise BenchError(f"--workers {workers}: not every worker ready in 120 s (log {log})")
        time.sleep(0.05)
    return [int(path.name.removeprefix("ready-")) for path in ready]


def _spent(start: cpu.Reading, end: cpu.Reading, pids: list[int]) -> float:
    return sum(cpu.used(start, end, pid) or 0.0 for pid in pids)


def _workers_once(run: Run, workers: int, loops: int, warm: int, n: int, rep: int) -> _Window:
    """Drain a backlog with ``pubsub-runtime run --workers W``; measure ``n`` messages after
    ``warm``, once every worker is handling messages."""
    payload = PAYLOADS["payment"]
    project = new_project()
    topic = create_topic(project, payload.name)
    create_subscriptions(project, topic, ["workers"])
    report = run.workdir / f"workers-{rep}-{workers}"
    report.mkdir(parents=True)
    env = run.child_env(
        extra={
            "BENCH_WORKERS_PROJECT": project,
            "BENCH_WORKERS_TOPIC": payload.name,
            "BENCH_WORKERS_SUBSCRIPTION": "workers",
            "BENCH_WORKERS_REPORT": str(report),
            "BENCH_WORKERS_HANDLER_LOOPS": str(loops),
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
    emulator = [run.emulator_pid] if run.emulator_pid else []
    watched = [os.getpid(), *emulator]  # this process polls: its CPU is not the others'
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=out)
        try:
            pids = _wait_for_workers(process, report, workers, log)
            # The backlog, published while the workers hold still; the extra messages keep
            # every worker busy to the end of the window: when the backlog runs out, a worker
            # still holding its leased messages would finish them alone.
            publish_backlog(topic, payload, warm + n + LEASED_PER_WORKER * workers)
            (report / "go").touch()
            start: tuple[cpu.Reading, dict[int, int]] | None = None
            end: tuple[cpu.Reading, dict[int, int]] | None = None
            deadline = time.monotonic() + timeout
            while end is None:
                if process.poll() is not None:
                    raise BenchError(f"pubsub-runtime run exited {process.returncode} (log {log})")
                counts, now = _counts(report), time.monotonic()
                handled = sum(counts.values())
                if now > deadline:
                    raise BenchError(f"workers={workers}: {handled} of {warm + n} handled")
                # The window closes on a later poll than the one that opened it.
                if start is None and handled >= warm:
                    start = (cpu.read(now, [process.pid, *pids, *watched]), counts)
                elif start is not None and handled >= sum(start[1].values()) + n:
                    end = (cpu.read(now, [process.pid, *pids, *watched]), counts)
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
    (first, before), (last, after) = start, end
    shares = {pid: after.get(pid, 0) - before.get(pid, 0) for pid in pids}
    if min(shares.values()) <= 0:
        raise BenchError(f"workers={workers}: a worker handled nothing in the window {shares}")
    ours = _spent(first, last, sorted({process.pid, *pids}))
    emulator_cpu = _spent(first, last, emulator) if emulator else None
    others = None
    if first.machine is not None and last.machine is not None and emulator_cpu is not None:
        bench = _spent(first, last, [os.getpid()])
        others = last.machine - first.machine - ours - emulator_cpu - bench
    return _Window(last.time - first.time, shares, ours, emulator_cpu, others)


def _ceilings(window: _Window, cores: int) -> tuple[float, float] | None:
    """The rates 1 and 2 workers could reach on an otherwise idle machine of ``cores`` cores
    at the CPU per message ``window`` measured: a worker uses at most one core, and the workers
    and the emulator together at most every core. None without the emulator's figure."""
    if window.emulator_cpu is None:
        return None
    worker = window.workers_cpu / window.messages
    with_emulator = (window.workers_cpu + window.emulator_cpu) / window.messages
    return min(1 / worker, cores / with_emulator), min(2 / worker, cores / with_emulator)


def workers(run: Run) -> None:
    # A quick run's window still spans many polls.
    warm, n = (100, 1200) if run.quick else (4000, 24000)
    cores = os.cpu_count() or 1
    print(
        f"workers: pubsub-runtime run --workers 1 and 2 ({cores} cores), "
        f"{STREAMS_PER_WORKER} streams each, handlers doing {HANDLER_US:.0f} µs of CPU work; "
        f"{n} messages after {warm}",
        flush=True,
    )
    loops = loops_for(HANDLER_US)
    for rep in range(run.reps):
        for count in alternate((1, 2), rep):
            window = _workers_once(run, count, loops, warm, n, rep)
            _record(run, f"workers.{count}", window, cores, rep)
    run.row(
        f"Throughput, CPU-bound handlers ({HANDLER_US:.0f} µs/msg), {STREAMS_PER_WORKER} "
        "streams per worker: pubsub-runtime run --workers 2 vs 1",
        fmt_rate(run.median("workers.2.rate")),
        fmt_rate(run.median("workers.1.rate")),
        run.paired_ratio("workers.2.rate", "workers.1.rate"),
        f">= {GOAL:.2f}x",
    )
    if "workers.2.ceiling" in run.samples:
        _ceiling_rows(run, cores)
    run.row(
        "CPU per message in the workers: --workers 2 vs 1 (what a second process costs)",
        fmt_us(run.median("workers.2.cpu_us")),
        fmt_us(run.median("workers.1.cpu_us")),
        run.paired_ratio("workers.2.cpu_us", "workers.1.cpu_us"),
    )
    run.row(
        "CPU the workers got (CPU seconds per second, summed over workers): 2 workers vs 1",
        f"{run.median('workers.2.cores'):.2f} cores",
        f"{run.median('workers.1.cores'):.2f} cores",
        run.paired_ratio("workers.2.cores", "workers.1.cores"),
    )


def _record(run: Run, key: str, window: _Window, cores: int, rep: int) -> None:
    run.add(f"{key}.rate", window.rate)
    run.add(f"{key}.cores", window.workers_cpu / window.wall)
    run.add(f"{key}.cpu_us", window.workers_cpu / window.messages * 1e6)
    run.add(f"{key}.min_share", min(window.handled.values()) / window.messages)
    line = (
        f"  rep {rep + 1} {key.replace('.', '=')}: {window.rate:,.0f} msg/s; workers "
        f"{window.workers_cpu / window.messages * 1e6:.0f} µs CPU/msg, "
        f"{window.workers_cpu / window.wall:.2f} cores"
    )
    if len(window.handled) > 1:
        shares = sorted(h / window.messages for h in window.handled.values())
        line += " (shares " + "/".join(f"{s:.0%}" for s in shares) + ")"
    ceilings = _ceilings(window, cores)
    if window.emulator_cpu is not None and window.others_cpu is not None and ceilings:
        run.add(f"{key}.emulator_us", window.emulator_cpu / window.messages * 1e6)
        run.add(f"{key}.others", window.others_cpu / window.wall)
        line += (
            f"; emulator {window.emulator_cpu / window.messages * 1e6:.0f} µs CPU/msg, "
            f"{window.emulator_cpu / window.wall:.2f} cores; other processes "
            f"{window.others_cpu / window.wall:.2f} cores"
        )
        if len(window.handled) == 2:
            run.add("workers.1.ceiling", ceilings[0])
            run.add("workers.2.ceiling", ceilings[1])
            line += f"; ceiling {ceilings[1] / ceilings[0]:.2f}x"
    print(line, flush=True)


def _ceiling_rows(run: Run, cores: int) -> None:
    ceiling = run.paired_ratio("workers.2.ceiling", "workers.1.ceiling")
    run.row(
        f"Ceiling of that ratio on {cores} idle cores that the emulator shares, at the CPU per "
        "message measured with --workers 2: 2 workers vs 1",
        fmt_rate(run.median("workers.2.ceiling")),
        fmt_rate(run.median("workers.1.ceiling")),
        ceiling,
    )
    worker_us, emulator_us = run.median("workers.2.cpu_us"), run.median("workers.2.emulator_us")
    run.row(
        "CPU per message in the emulator's JVM vs in the workers (--workers 2)",
        fmt_us(emulator_us),
        fmt_us(worker_us),
        run.paired_ratio("workers.2.emulator_us", "workers.2.cpu_us"),
    )
    if ceiling < GOAL:
        run.notes.append(
            f"workers: the {GOAL:.2f}x goal is out of reach while the emulator shares the "
            f"{cores} cores: even with nothing else running, 2 workers reach at most "
            f"{ceiling:.2f}x one worker, since the emulator spends {emulator_us:.0f} µs of CPU "
            f"per message ({emulator_us / worker_us:.0%} of the workers' {worker_us:.0f} µs); "
            f"{GOAL:.2f}x needs at most {cores / GOAL - 1:.0%}"
        )
    others = run.samples["workers.1.others"] + run.samples["workers.2.others"]
    if max(others) > 0.2:
        run.notes.append(
            f"workers: other processes kept {min(others):.2f} to {max(others):.2f} of the "
            f"{cores} cores busy during the windows, so the cores the workers got varied from "
            "window to window: the throughput ratio measures that load as much as the runtime "
            "(the ceiling row, from CPU per message, much less)"
        )
