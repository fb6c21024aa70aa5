"""`make demo`: the service pubsub-gen wrote from schemas/, running against a local Pub/Sub.

1. Start the Pub/Sub emulator.
2. Run the generated service `example_events.app:app` with `pubsub-runtime run` (its broker
   creates the topics and subscriptions at start).
3. Publish one sample message per topic with the generated typed publishers.
4. Show the handlers' log lines (the service's output) and GET /consumers/alive.
5. Stop the service with SIGTERM (it drains and exits 0), then the emulator.

Exit status 0 only when every subscription handled its message.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
GENERATED = ROOT / "generated_example"
sys.path.insert(0, str(GENERATED))  # the generated package, as the service imports it

from example_events import (  # noqa: E402
    TOPICS,
    CustomerRegisteredPublisher,
    OrderPlacedPublisher,
    PriorityChangedPublisher,
    ShipmentDispatchedPublisher,
    ShipmentUpdatedPublisher,
    samples,
)

from pubsub_runtime import PubSubBroker  # noqa: E402
from pubsub_runtime.testing import EmulatorError, find_emulator, start_emulator  # noqa: E402

APP = "example_events.app:app"
PROJECT_ID = "demo-project"
SHOWN_CHARS = 150  # a log line's message is cut here: a payload's repr is long
SHOWN_CONTEXT = ("alias=", "message_id=")  # the context keys shown after the message
TIMEOUT = 60.0
_print_lock = threading.Lock()


def say(text: str = "") -> None:
    """Print whole lines: the service's output is printed from another thread."""
    with _print_lock:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()


class ServiceOutput:
    """Prints the service's output as it comes, and keeps it for searching."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(process,), daemon=True)
        self._thread.start()

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            line = line.rstrip("\n")
            self.lines.append(line)
            say(f"  service | {shorten(line)}")

    def has(self, *parts: str) -> bool:
        return any(all(part in line for part in parts) for line in list(self.lines))

    def finish(self) -> None:
        self._thread.join(timeout=5)


def shorten(line: str) -> str:
    """The line with its message cut to SHOWN_CHARS and only the SHOWN_CONTEXT keys."""
    message, _, context = line.partition(" | ")
    if len(message) > SHOWN_CHARS:
        message = message[: SHOWN_CHARS - 3] + "..."
    shown = [pair for pair in context.split(" ") if pair.startswith(SHOWN_CONTEXT)]
    return " | ".join([message, " ".join(shown)]) if shown else message


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_ready(base_url: str, service: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if service.poll() is not None:
            raise RuntimeError(f"the service exited with code {service.returncode}")
        try:
            if httpx.get(f"{base_url}/consumers/ready", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the service was not ready within {TIMEOUT:.0f} s")


async def publish_samples() -> dict[str, str]:
    """One sample per topic, through the typed publishers; returns topic -> message id."""
    async with PubSubBroker(project_id=PROJECT_ID, topics=TOPICS) as broker:
        publishing = {
            "customer_registered": CustomerRegisteredPublisher(broker).publish(
                samples.sample_customer_registered()
            ),
            "order_placed": OrderPlacedPublisher(broker).publish(samples.sample_order_placed()),
            "priority_changed": PriorityChangedPublisher(broker).publish(
                samples.sample_priority_changed()
            ),
            "shipment_dispatched": ShipmentDispatchedPublisher(broker).publish(
                samples.sample_shipment_dispatched()
            ),
            "shipment-updated": ShipmentUpdatedPublisher(broker).publish(
                samples.sample_shipment_updated()
            ),
        }
        message_ids = {}
        for topic, publish in publishing.items():
            message_ids[topic] = await publish
            say(f"   published to {topic}: message id {message_ids[topic]}")
        return message_ids


def expected_deliveries(message_ids: dict[str, str]) -> list[tuple[str, str]]:
    """(subscriber alias, message id) of every handler call the messages should cause."""
    from example_events.app import app  # registers the service's subscribers (not started)

    return [
        (subscriber.alias, message_ids[subscriber.topic_name])
        for subscriber in app.broker.subscribers
    ]


def run_demo(emulator_host: str) -> bool:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    environment = {
        **os.environ,
        "PUBSUB_EMULATOR_HOST": emulator_host,
        "PUBSUB_PROJECT_ID": PROJECT_ID,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(GENERATED), os.environ.get("PYTHONPATH")])),
        "PYTHONUNBUFFERED": "1",
    }
    command = [sys.executable, "-m", "pubsub_runtime", "run", APP, "--port", str(port)]
    say(f"\n== 2. Run the generated service: python {' '.join(command[1:])}")
    service = subprocess.Popen(
        command,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    )
    output = ServiceOutput(service)
    try:
        wait_ready(base_url, service)
        say(f"   ready: GET {base_url}/consumers/ready answered 200")

        say("\n== 3. Publish a sample message per topic (typed publishers); handlers log them")
        message_ids = asyncio.run(publish_samples())
        expected = expected_deliveries(message_ids)
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline and not all(
            output.has("received", f"alias={alias}", f"message_id={mid}") for alias, mid in expected
        ):
            time.sleep(0.2)
        handled = [
            (alias, mid)
            for alias, mid in expected
            if output.has("received", f"alias={alias}", f"message_id={mid}")
        ]
        say(f"\n== 4. Health: GET {base_url}/consumers/alive")
        alive = httpx.get(f"{base_url}/consumers/alive", timeout=5)
        say(f"   {alive.status_code} " + json.dumps(alive.json(), indent=2).replace("\n", "\n   "))
    finally:
        say("\n== 5. Stop the service (SIGTERM: it drains, then exits)")
        service.terminate()
        try:
            code = service.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            service.kill()
            code = service.wait()
        output.finish()
        say(f"   service exited with code {code}")

    missing = sorted(set(expected) - set(handled))
    say(f"\n{len(handled)} of {len(expected)} subscriptions handled their message.")
    for alias, mid in missing:
        say(f"   not handled: message {mid} on {alias}")
    return not missing and code == 0


def main() -> int:
    say("== 1. Start the Pub/Sub emulator")
    if find_emulator() is None:
        print(
            "The Pub/Sub emulator is not installed. Install it with\n"
            "    gcloud components install pubsub-emulator\n"
            "or (Debian/Ubuntu) sudo apt-get install google-cloud-cli-pubsub-emulator\n"
            "(it needs Java 11+), or set PUBSUB_EMULATOR_BIN to its cloud-pubsub-emulator script.",
            file=sys.stderr,
        )
        return 1
    try:
        emulator = start_emulator(project_id=PROJECT_ID)
    except EmulatorError as exc:
        print(f"The Pub/Sub emulator did not start: {exc}", file=sys.stderr)
        return 1
    with emulator:
        say(f"   listening on {emulator.host} (project {PROJECT_ID})")
        os.environ["PUBSUB_EMULATOR_HOST"] = emulator.host  # for this process's publisher
        ok = run_demo(emulator.host)
    say("Demo passed." if ok else "Demo FAILED.")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
