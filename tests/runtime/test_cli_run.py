"""``python -m pubsub_runtime run`` serves an app with two workers against the real emulator."""

from __future__ import annotations

import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from google.cloud import pubsub_v1

from pubsub_runtime.testing import Emulator

pytestmark = pytest.mark.emulator

REPO = Path(__file__).resolve().parents[2]
APP = "tests.runtime.apps.worker:app"
PATIENCE = 90.0  # seconds before a wait gives up and fails with the service log; not a goal


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def die_with_parent() -> None:
    # If the test run is killed, the service gets SIGTERM instead of running on.
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class Service:
    process: subprocess.Popen[bytes]
    url: str
    record: Path
    release: Path
    log: Path
    topic_path: str
    subscription_path: str

    def events(self, kind: str) -> dict[str, int]:
        """Message id -> worker pid, for the ``start`` or ``done`` lines recorded so far."""
        if not self.record.exists():
            return {}
        lines = (line.split() for line in self.record.read_text().splitlines())
        return {parts[1]: int(parts[2]) for parts in lines if len(parts) == 3 and parts[0] == kind}

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait(self, condition: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + PATIENCE
        while not condition():
            if self.process.poll() is not None:
                pytest.fail(
                    f"service exited ({self.process.returncode}) before {what}:\n{self.log_text()}"
                )
            if time.monotonic() > deadline:
                pytest.fail(f"gave up waiting for {what}; service log:\n{self.log_text()}")
            time.sleep(0.05)

    def get(self, path: str) -> httpx.Response:
        # A new connection each time, so the kernel may hand it to either worker.
        return httpx.get(f"{self.url}{path}", headers={"Connection": "close"})

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(PATIENCE)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            pytest.fail(f"service ignored SIGTERM; log:\n{self.log_text()}")


def start_service(emulator: Emulator, directory: Path, *, shutdown_timeout: float) -> Service:
    suffix = uuid.uuid4().hex[:12]
    topic = f"cli-{suffix}"
    subscription = f"cli-sub-{suffix}"
    publisher, subscriber = pubsub_v1.PublisherClient(), pubsub_v1.SubscriberClient()
    topic_path = publisher.topic_path(emulator.project_id, topic)
    subscription_path = subscriber.subscription_path(emulator.project_id, subscription)
    publisher.create_topic(name=topic_path)
    subscriber.create_subscription(name=subscription_path, topic=topic_path)
    subscriber.close()

    directory.mkdir(parents=True, exist_ok=True)
    release = directory / "release"
    release.mkdir()
    port = free_port()
    env = {
        **os.environ,
        "APP_PROJECT": emulator.project_id,
        "APP_TOPIC": topic,
        "APP_SUBSCRIPTION": subscription,
        "APP_RECORD": str(directory / "record.txt"),
        "APP_RELEASE": str(release),
        "APP_SHUTDOWN_TIMEOUT": str(shutdown_timeout),
    }
    log = directory / "service.log"
    command = [sys.executable, "-m", "pubsub_runtime", "run", APP, "--workers", "2"]
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*command, "--port", str(port)],
            cwd=REPO,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent,
        )
    service = Service(
        process,
        f"http://127.0.0.1:{port}",
        directory / "record.txt",
        release,
        log,
        topic_path,
        subscription_path,
    )

    def ready() -> bool:
        try:
            return service.get("/consumers/ready").status_code == 200
        except httpx.TransportError:
            return False

    service.wait(ready, "/consumers/ready answered 200")
    return service


def publish(service: Service, *orders: dict[str, object]) -> list[str]:
    publisher = pubsub_v1.PublisherClient()
    futures = [publisher.publish(service.topic_path, json.dumps(o).encode()) for o in orders]
    return [future.result() for future in futures]


@pytest.fixture(scope="module")
def service(
    pubsub_emulator: Emulator, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Service]:
    running = start_service(pubsub_emulator, tmp_path_factory.mktemp("cli"), shutdown_timeout=30)
    yield running
    running.stop()


def test_two_workers_start_ready_and_handle_messages(service: Service) -> None:
    ready = service.get("/consumers/ready")
    body = ready.json()
    assert ready.status_code == 200
    assert body["status"] == "ok"
    assert [s["state"] for s in body["subscribers"]] == ["running"]
    assert body["subscribers"][0]["subscription"] == service.subscription_path.split("/")[-1]

    ids = publish(service, *({"kind": "sleep", "seconds": 0.01} for _ in range(10)))
    service.wait(lambda: set(ids) <= set(service.events("done")), "10 messages handled")
    assert service.get("/pid").json()["pid"] != os.getpid()


def test_alive_answers_while_handlers_await(service: Service) -> None:
    ids = publish(service, *({"kind": "wait", "key": "alive"} for _ in range(20)))
    service.wait(lambda: set(ids) <= set(service.events("start")), "20 handlers awaiting")

    answers = []
    for _ in range(50):  # until the worker holding messages answers (either may)
        answers.append(service.get("/consumers/alive"))
        if answers[-1].json()["subscribers"][0]["in_flight"]:
            break
    handled_meanwhile = set(ids) & set(service.events("done"))
    (service.release / "alive").touch()
    service.wait(lambda: set(ids) <= set(service.events("done")), "20 handlers released")

    assert [a.status_code for a in answers] == [200] * len(answers)
    assert answers[-1].json()["subscribers"][0]["in_flight"] > 0
    assert handled_meanwhile == set()  # every handler was still awaiting when alive answered


def test_a_handler_blocking_the_loop_is_reported_by_name(service: Service) -> None:
    [message_id] = publish(service, {"kind": "block", "seconds": 0.5})
    service.wait(lambda: f"message id {message_id})" in service.log_text(), "the warning")

    [line] = [
        line for line in service.log_text().splitlines() if f"message id {message_id})" in line
    ]
    assert "WARNING" in line and "pubsub_runtime.watchdog" in line
    assert "handler 'tests.runtime.apps.worker.handle' (alias 'work'," in line
    assert "worker.py:" in line
    assert f"message_id={message_id}" in line and "alias=work" in line
    assert "run_in_process" in line and "--workers" in line


def test_sigterm_drains_in_flight_handlers_nacks_the_rest_and_exits_zero(
    pubsub_emulator: Emulator, tmp_path: Path
) -> None:
    service = start_service(pubsub_emulator, tmp_path, shutdown_timeout=3)
    try:
        finishing, stuck = publish(
            service, {"kind": "wait", "key": "finishing"}, {"kind": "wait", "key": "never"}
        )
        service.wait(lambda: {finishing, stuck} <= set(service.events("start")), "both started")

        service.process.send_signal(signal.SIGTERM)
        (service.release / "finishing").touch()  # released during the drain
        exit_code = service.process.wait(PATIENCE)
    finally:
        if service.process.poll() is None:
            service.process.kill()
    handled = set(service.events("done"))

    assert exit_code == 0, service.log_text()
    assert finishing in handled
    assert stuck not in handled
    # Nothing acked that was unhandled: the stuck message comes back.
    assert stuck in redelivered(service.subscription_path, until_seen=stuck)
    assert "still running after 3.0 s" in service.log_text()


def redelivered(subscription_path: str, *, until_seen: str) -> set[str]:
    subscriber = pubsub_v1.SubscriberClient()
    seen: set[str] = set()
    deadline = time.monotonic() + PATIENCE
    try:
        while until_seen not in seen and time.monotonic() < deadline:
            response = subscriber.pull(subscription=subscription_path, max_messages=10, timeout=10)
            seen |= {m.message.message_id for m in response.received_messages}
    finally:
        subscriber.close()
    return seen
