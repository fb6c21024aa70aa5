"""What every comparison shares: the run's settings, child processes, emulator set-up, medians.

Each side of a comparison runs in its own child process (``python -m bench._child SIDE ARGS``)
that prints one ``BENCH_RESULT {json}`` line; its stderr goes to a log file of the run. Topics
and subscriptions live in a fresh emulator project per repetition, so names never repeat.
"""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import subprocess
import sys
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from bench.payloads import REPO, Payload, python_path

RESULT_PREFIX = "BENCH_RESULT "
CPUS_VARIABLE = "BENCH_CPUS"  # a child pins itself to these CPUs ("1" or "1,2,3")
T = TypeVar("T")


class BenchError(RuntimeError):
    """A side failed: a child crashed, timed out, or received the wrong messages."""


MARGIN = 0.05  # a goal met by less than this (relative to it) counts as not met


def goal_margin(goal: str, ratio: float | None) -> float | None:
    """How far ``ratio`` is inside ``goal`` ("<= 0.5x", ">= 1.8x"), relative to the goal's value.

    Positive: met with that room; negative: missed by that much; None: no goal.
    """
    if not goal or ratio is None:
        return None
    op, _, value = goal.partition(" ")
    limit = float(value.rstrip("x"))
    return (limit - ratio) / limit if op == "<=" else (ratio - limit) / limit


@dataclass
class Row:
    """One line of the result table. ``ratio`` is ours / baseline (a median of paired ratios).

    ``met`` is None when the row has no goal (or in --quick mode); a goal counts as met only
    with a margin of at least ``MARGIN``.
    """

    comparison: str
    ours: str
    baseline: str
    ratio: float | None
    goal: str  # e.g. "<= 0.5x"; "" when the row only informs
    met: bool | None
    margin: float | None = None


@dataclass
class Run:
    """Settings and collected figures of one ``python -m bench`` invocation."""

    quick: bool
    reps: int
    workdir: Path
    generated: Path  # the out folder of the generated bench package
    emulator_host: str
    emulator_pid: int | None = None  # its JVM, to read its CPU time (Linux)
    fastpubsub_python: Path | None = None
    fastpubsub_skip: str = ""
    rows: list[Row] = field(default_factory=list)
    samples: dict[str, list[float]] = field(default_factory=dict)  # per-repetition figures
    notes: list[str] = field(default_factory=list)
    child_cpus: set[int] | None = None  # while emulator_apart(): where the sides run

    @property
    def log_dir(self) -> Path:
        path = self.workdir / "logs"
        path.mkdir(exist_ok=True)
        return path

    def add(self, key: str, value: float) -> None:
        self.samples.setdefault(key, []).append(value)

    def median(self, key: str) -> float:
        return float(statistics.median(self.samples[key]))

    def paired_ratio(self, ours: str, baseline: str | Sequence[str]) -> float:
        """Median over repetitions of ours / baseline (a sum when several baselines)."""
        names = [baseline] if isinstance(baseline, str) else list(baseline)
        columns = [self.samples[name] for name in names]
        ratios = [
            mine / sum(parts)
            for mine, *parts in zip(self.samples[ours], *columns, strict=False)
            if sum(parts) > 0
        ]
        return float(statistics.median(ratios))

    def row(
        self,
        comparison: str,
        ours: str,
        baseline: str,
        ratio: float | None,
        goal: str = "",
    ) -> None:
        margin = goal_margin(goal, ratio)
        met = None if margin is None or self.quick else margin >= MARGIN
        self.rows.append(Row(comparison, ours, baseline, ratio, goal, met, margin))
        shown = "" if ratio is None else f"  ratio {ratio:.2f}"
        print(f"  -> {comparison}: {ours} vs {baseline}{shown}", flush=True)

    @contextlib.contextmanager
    def emulator_apart(self) -> Iterator[bool]:
        """While active, the emulator runs on one CPU and the sides' children on the others.

        Why: a real Pub/Sub runs on Google's machines, not on the client's cores. Sharing them,
        the emulator's JVM evicts the client's caches between responses, and this adds CPU time
        to the client, more or less from one repetition to the next. Both sides of a comparison
        run apart the same way. Yields False (and changes nothing) when that is not possible:
        one CPU, an emulator not on this machine, or not Linux.
        """
        from bench import _cpu as cpu

        cpus = sorted(cpu.usable_cpus())
        pid = self.emulator_pid
        if len(cpus) < 2 or pid is None or not cpu.pin_process(pid, {cpus[0]}):
            yield False
            return
        self.child_cpus = set(cpus[1:])
        try:
            yield True
        finally:
            self.child_cpus = None
            cpu.pin_process(pid, set(cpus))

    def child_env(
        self, *, with_runtime: bool = False, extra: dict[str, str] | None = None
    ) -> dict[str, str]:
        env = dict(os.environ)
        env["PYTHONPATH"] = python_path(self.generated, with_runtime=with_runtime)
        env["PUBSUB_EMULATOR_HOST"] = self.emulator_host
        env.pop("GOOGLE_APPLICATION_CREDENTIALS", None)
        env.pop(CPUS_VARIABLE, None)
        if self.child_cpus:
            env[CPUS_VARIABLE] = ",".join(str(c) for c in sorted(self.child_cpus))
        env.update(extra or {})
        return env

    def child(
        self,
        side: str,
        args: dict[str, Any],
        *,
        python: Path | str = sys.executable,
        timeout: float = 600.0,
        with_runtime: bool = False,
        extra_env: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Run one side in a child process and return what it measured."""
        spawned = self.spawn(
            side, args, python=python, with_runtime=with_runtime, extra_env=extra_env
        )
        return spawned.result(timeout)

    def spawn(
        self,
        side: str,
        args: dict[str, Any],
        *,
        python: Path | str = sys.executable,
        with_runtime: bool = False,
        extra_env: dict[str, str] | None = None,
    ) -> Spawned:
        """Start one side in a child process, in the background."""
        log = self.log_dir / f"{side}-{uuid.uuid4().hex[:6]}.log"
        with log.open("wb") as err:
            process = subprocess.Popen(
                [str(python), "-m", "bench._child", side, json.dumps(args)],
                cwd=REPO,
                env=self.child_env(with_runtime=with_runtime, extra=extra_env),
                stdout=subprocess.PIPE,
                stderr=err,
            )
        return Spawned(side, process, log)


class Spawned:
    """A side running in the background (``Run.spawn``); ``result()`` waits for its figures."""

    def __init__(self, side: str, process: subprocess.Popen[bytes], log: Path) -> None:
        self.side, self.process, self.log = side, process, log

    def result(self, timeout: float = 600.0) -> dict[str, Any]:
        try:
            out, _ = self.process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            self.process.kill()
            self.process.communicate()
            message = f"{self.side} timed out after {timeout:.0f} s (log {self.log})"
            raise BenchError(message) from exc
        for line in out.decode(errors="replace").splitlines():
            if line.startswith(RESULT_PREFIX) and self.process.returncode == 0:
                result: dict[str, Any] = json.loads(line[len(RESULT_PREFIX) :])
                return result
        tail = self.log.read_text(errors="replace")[-3000:]
        raise BenchError(
            f"{self.side} failed (exit {self.process.returncode}, log {self.log}):\n{tail}"
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate()


def new_project() -> str:
    """A fresh emulator project id: every repetition gets its own topics and subscriptions."""
    return f"bench-{uuid.uuid4().hex[:10]}"


def alternate(sides: Sequence[T], rep: int) -> list[T]:
    """Side order of repetition ``rep``: reversed every other time, so drift hits both sides."""
    return list(sides) if rep % 2 == 0 else list(reversed(sides))


# -- emulator resources, set up by the parent with the synchronous GAPIC clients ---------------


def create_topic(project: str, topic: str) -> str:
    from google.pubsub_v1 import PublisherClient

    path = f"projects/{project}/topics/{topic}"
    PublisherClient().create_topic(name=path)
    return path


def create_subscriptions(project: str, topic_path: str, names: Iterable[str]) -> None:
    from google.pubsub_v1 import SubscriberClient

    client = SubscriberClient()
    for name in names:
        client.create_subscription(
            name=f"projects/{project}/subscriptions/{name}",
            topic=topic_path,
            ack_deadline_seconds=60,
        )


def publish_backlog(topic_path: str, payload: Payload, count: int) -> None:
    """Publish payloads ``0 .. count-1`` (1,000 per request) with the topic's attributes."""
    from google.pubsub_v1 import PublisherClient, PubsubMessage

    spec = payload.spec()
    attributes = dict(spec.attributes)
    client = PublisherClient()
    for start in range(0, count, 1000):
        messages = [
            PubsubMessage(data=spec.encode(payload.make(i)), attributes=attributes)
            for i in range(start, min(count, start + 1000))
        ]
        client.publish(topic=topic_path, messages=messages, timeout=120)


def delete_project_resources(project: str, topic_path: str, subscriptions: Iterable[str]) -> None:
    """Free the emulator's memory once a repetition is done."""
    from google.pubsub_v1 import PublisherClient, SubscriberClient

    client = SubscriberClient()
    for name in subscriptions:
        try:
            client.delete_subscription(subscription=f"projects/{project}/subscriptions/{name}")
        except Exception as exc:  # a leftover only costs memory
            print(f"  (could not delete subscription {name}: {exc!r})", file=sys.stderr)
    try:
        PublisherClient().delete_topic(topic=topic_path)
    except Exception as exc:
        print(f"  (could not delete topic {topic_path}: {exc!r})", file=sys.stderr)


def pull_all(project: str, subscription: str, count: int, timeout: float = 60.0) -> list[bytes]:
    """Pull (and ack) until ``count`` distinct messages arrived; returns their data."""
    import time

    from google.pubsub_v1 import SubscriberClient

    client = SubscriberClient()
    path = f"projects/{project}/subscriptions/{subscription}"
    seen: dict[str, bytes] = {}
    deadline = time.monotonic() + timeout
    while len(seen) < count and time.monotonic() < deadline:
        response = client.pull(subscription=path, max_messages=1000, timeout=30)
        ack_ids = []
        for received in response.received_messages:
            seen[received.message.message_id] = received.message.data
            ack_ids.append(received.ack_id)
        if ack_ids:
            client.acknowledge(subscription=path, ack_ids=ack_ids)
    if len(seen) < count:
        raise BenchError(f"pulled {len(seen)} of {count} messages from {subscription}")
    return list(seen.values())


def fmt_us(value: float) -> str:
    return f"{value:.1f} µs/msg"


def fmt_rate(value: float) -> str:
    return f"{value:,.0f} msg/s"
