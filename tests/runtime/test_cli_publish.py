"""``pubsub-runtime publish``: a message from the terminal reaches a running service, encoded
with the topic's codec. The service is the golden record's app served by ``pubsub-runtime run``
on the emulator; a second subscription per topic ("tap") shows the bytes on the wire.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from example_events import TOPICS
from example_events.samples import sample_customer_registered, sample_order_placed
from example_events.samples import sample_shipment_updated as sample_shipment
from google.cloud import pubsub_v1

from pubsub_runtime.testing import Emulator
from pubsub_runtime.testing._emulator import free_port

pytestmark = pytest.mark.emulator

REPO = Path(__file__).resolve().parents[2]
GENERATED = REPO / "generated_example"
APP = "example_events.app:app"
PATIENCE = 90.0  # seconds before a wait gives up and fails with the service log; not a goal
TAPPED = ("order_placed", "shipment-updated", "customer_registered")


@dataclass
class Running:
    process: subprocess.Popen[bytes]
    log: Path
    env: dict[str, str]
    project: str

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait(self, condition: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + PATIENCE
        while not condition():
            if self.process.poll() is not None:
                pytest.fail(f"service exited before {what}:\n{self.log_text()}")
            if time.monotonic() > deadline:
                pytest.fail(f"gave up waiting for {what}; service log:\n{self.log_text()}")
            time.sleep(0.1)


def ready(url: str) -> bool:
    try:
        return httpx.get(url, timeout=5).status_code == 200
    except httpx.TransportError:
        return False


@pytest.fixture(scope="module")
def service(
    pubsub_emulator: Emulator, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Running]:
    project = f"publish-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "PUBSUB_PROJECT_ID": project, "PUBSUB_EMULATOR_HOST": pubsub_emulator.host}
    log = tmp_path_factory.mktemp("publish") / "service.log"
    port = free_port()
    command = [sys.executable, "-m", "pubsub_runtime", "run", APP, "--app-dir", str(GENERATED)]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*command, "--port", str(port)], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    running = Running(process, log, env, project)
    try:
        running.wait(lambda: ready(f"http://127.0.0.1:{port}/consumers/ready"), "ready")
        subscriber = pubsub_v1.SubscriberClient()
        for topic in TAPPED:  # the service created the topics at start
            subscriber.create_subscription(
                name=subscriber.subscription_path(project, f"tap-{topic}"),
                topic=f"projects/{project}/topics/{topic}",
            )
        subscriber.close()
        yield running
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(PATIENCE)


def publish_cli(
    service: Running, *args: str, cwd: Path = GENERATED
) -> subprocess.CompletedProcess[str]:
    """The command as a user types it in the service's folder."""
    return subprocess.run(
        ["pubsub-runtime", "publish", APP, *args],
        cwd=cwd,
        env={**service.env, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"},
        capture_output=True,
        text=True,
        timeout=PATIENCE,
        check=False,
    )


def published_id(done: subprocess.CompletedProcess[str], topic: str) -> str:
    assert done.returncode == 0, done.stdout + done.stderr
    found = re.fullmatch(rf"published message (\S+) to {re.escape(topic)}\n", done.stdout)
    assert found, done.stdout
    return found.group(1)


def tapped(service: Running, topic: str, message_id: str) -> pubsub_v1.types.PubsubMessage:
    subscriber = pubsub_v1.SubscriberClient()
    path = subscriber.subscription_path(service.project, f"tap-{topic}")
    deadline = time.monotonic() + PATIENCE
    try:
        while time.monotonic() < deadline:
            response = subscriber.pull(subscription=path, max_messages=10, timeout=30)
            for received in response.received_messages:
                subscriber.acknowledge(subscription=path, ack_ids=[received.ack_id])
                if received.message.message_id == message_id:
                    return received.message
    finally:
        subscriber.close()
    pytest.fail(f"message {message_id} never reached tap-{topic}")


def handled(service: Running, alias: str, message_id: str) -> None:
    line = re.compile(rf" received .*\| alias={re.escape(alias)} .*message_id={message_id}$", re.M)
    service.wait(
        lambda: line.search(service.log_text()) is not None,
        f"the handler {alias} logging message {message_id}",
    )


def test_the_sample_is_sent_with_the_codec_and_handled(service: Running) -> None:
    done = publish_cli(service, "order_placed", "--sample", "--attribute", "origin=terminal")
    message_id = published_id(done, "order_placed")

    handled(service, "example-events.order_placed", message_id)
    message = tapped(service, "order_placed", message_id)
    spec = TOPICS["order_placed"]
    assert message.data == spec.encode(sample_order_placed())
    assert spec.decode(message.data) == sample_order_placed()
    assert message.attributes["origin"] == "terminal"
    assert dict(spec.attributes).items() <= dict(message.attributes).items()


def test_a_binary_topic_gets_avro_binary(service: Running) -> None:
    message_id = published_id(
        publish_cli(service, "shipment-updated", "--sample"), "shipment-updated"
    )

    handled(service, "shipment-updated-tracking", message_id)
    message = tapped(service, "shipment-updated", message_id)
    spec = TOPICS["shipment-updated"]
    assert spec.encoding == "BINARY"
    assert spec.decode(message.data) == sample_shipment()


def test_json_from_a_file_or_the_command_line_is_validated_then_sent(
    service: Running, tmp_path: Path
) -> None:
    order = json.loads(sample_order_placed().model_dump_json(by_alias=True))
    order["note"] = "typed in a terminal"
    (tmp_path / "order.json").write_text(json.dumps(order))
    from_file = published_id(
        publish_cli(service, "order_placed", "--json", str(tmp_path / "order.json")),
        "order_placed",
    )
    customer = sample_customer_registered().model_dump(mode="json", by_alias=True)
    inline = published_id(
        publish_cli(service, "customer_registered", "--data", json.dumps(customer)),
        "customer_registered",
    )

    handled(service, "example-events.order_placed", from_file)
    handled(service, "example-events.customer_registered", inline)
    note = TOPICS["order_placed"].decode(tapped(service, "order_placed", from_file).data).note
    assert note == "typed in a terminal"
    data = tapped(service, "customer_registered", inline).data
    assert TOPICS["customer_registered"].decode(data) == sample_customer_registered()


def test_a_message_that_is_not_the_model_is_refused_and_nothing_is_sent(
    service: Running,
) -> None:
    done = publish_cli(service, "order_placed", "--data", '{"orderId": "not a uuid"}')
    assert done.returncode == 2
    assert "not a OrderPlaced of topic 'order_placed': orderId: Input should be a valid UUID" in (
        done.stderr
    )
    assert "Traceback" not in done.stderr


def test_a_topic_nobody_created_is_reported_in_one_line(service: Running) -> None:
    other = {**service.env, "PUBSUB_PROJECT_ID": "publish-nobody"}
    done = subprocess.run(
        [sys.executable, "-m", "pubsub_runtime", "publish", APP, "order_placed", "--sample"],
        cwd=GENERATED,
        env=other,
        capture_output=True,
        text=True,
        timeout=PATIENCE,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert done.stderr.strip() == (
        "Error: topic projects/publish-nobody/topics/order_placed does not exist: start the "
        "service first (it creates its topics and subscriptions), or check PUBSUB_PROJECT_ID"
    )
