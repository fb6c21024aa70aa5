"""Bounded memory under load: 50,000 messages for a service whose handlers are the bottleneck.

The emulator ignores the server-side flow control (``max_outstanding_messages``), so the bound
that holds is the client's: the subscriber stops reading the stream while ``max_messages`` are
held. The service runs as a real process (``python -m pubsub_runtime run``); its resident set
size is sampled from ``/proc`` while the test publishes everything at once.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from pathlib import Path

import pytest
from apps.reliability_service import Service, start_service

from pubsub_runtime import PubSubBroker
from pubsub_runtime.testing import Emulator

pytestmark = pytest.mark.emulator

APP = "tests.runtime.apps.reliability_load:app"
MESSAGES = 50_000
BOUND = 100
HANDLER_SECONDS = 0.05  # 100 at a time: about the emulator's delivery rate on one stream
WARM = 5_000  # RSS once this many are handled is the baseline: imports and pools are settled
MAX_GROWTH_MB = 64.0  # generous: unbounded buffering of 50,000 messages would blow well past it
PATIENCE = 600.0  # guard against hangs only


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


class Sampler(threading.Thread):
    """Samples the service's RSS and handled count every quarter second."""

    def __init__(self, service: Service) -> None:
        super().__init__(daemon=True)
        self.service = service
        self.samples: list[tuple[int, float]] = []  # (handled, RSS MB)
        self.stats: dict[str, int] = {}
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set() and self.service.process.poll() is None:
            try:
                self.stats = self.service.get("/stats").json()
                self.samples.append((self.stats["handled"], rss_mb(self.service.pid)))
            except Exception:  # the service is stopping
                break
            self.done.wait(0.25)


async def publish_all(project_id: str, topic: str) -> None:
    broker = PubSubBroker(project_id)
    try:
        for start in range(0, MESSAGES, 2_000):
            await asyncio.gather(
                *(broker.publish(topic, b"%06d" % i) for i in range(start, start + 2_000))
            )
    finally:
        await broker.stop()


@pytest.mark.timeout(900)
def test_rss_stays_flat_and_in_flight_bounded_through_50k_messages(
    pubsub_emulator: Emulator, tmp_path: Path
) -> None:
    suffix = uuid.uuid4().hex[:12]
    topic = f"load-{suffix}"
    env = {
        "APP_PROJECT": pubsub_emulator.project_id,
        "APP_TOPIC": topic,
        "APP_SUBSCRIPTION": f"load-sub-{suffix}",
        "APP_MAX_MESSAGES": str(BOUND),
        "APP_HANDLER_SECONDS": str(HANDLER_SECONDS),
    }
    service = start_service(APP, tmp_path, env, "load")  # autocreates topic and subscription
    sampler = Sampler(service)
    started = time.monotonic()
    try:
        idle_mb = rss_mb(service.pid)
        sampler.start()
        asyncio.run(publish_all(pubsub_emulator.project_id, topic))
        published_s = time.monotonic() - started
        service.wait(lambda: len(set(service.ids())) >= MESSAGES, "every message handled", PATIENCE)
        elapsed_s = time.monotonic() - started
        sampler.done.set()
        sampler.join()
        final = service.get("/stats").json()
        exit_code = service.stop()
    finally:
        sampler.done.set()
        service.kill()

    handled = service.ids()
    warm = [rss for count, rss in sampler.samples if count >= WARM]
    baseline, peak = warm[0], max(warm)
    print(
        f"\n50k load: published in {published_s:.1f} s, all handled after {elapsed_s:.1f} s; "
        f"{len(handled)} handler runs for {len(set(handled))} messages; "
        f"RSS idle {idle_mb:.1f} MB, at {WARM} handled {baseline:.1f} MB, "
        f"peak {peak:.1f} MB, last {warm[-1]:.1f} MB (growth {peak - baseline:+.1f} MB); "
        f"max in flight {final['max_in_flight']}, max running {final['max_running']} "
        f"(bound {BOUND})"
    )
    assert exit_code == 0, service.log_text()
    assert len(set(handled)) == MESSAGES
    assert final["max_in_flight"] <= BOUND
    assert final["max_running"] == BOUND  # the bound was reached: handlers were the bottleneck
    assert peak - baseline < MAX_GROWTH_MB
