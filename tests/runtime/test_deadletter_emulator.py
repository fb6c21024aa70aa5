"""Dead-letter tooling on the emulator: peek, replay (dry run, filter, replay-count refusal, a
publish failing half-way) and purge, through the functions and the ``pubsub-runtime dlq`` CLI.

Messages reach the dead-letter topic the way they do in production: a handler fails them until
Pub/Sub gives up after 5 delivery attempts (``CloudPubSubDeadLetterSource*`` attributes), or the
subscriber dead-letters a payload that does not decode (``on_decode_error="dead_letter"``).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from apps.dlq_service import Order, build_broker
from google.pubsub_v1 import PubsubMessage

from pubsub_runtime import (
    Message,
    PubSubBroker,
    count_dead_letters,
    peek_dead_letters,
    purge_dead_letters,
    replay_dead_letters,
)
from pubsub_runtime._transport import (
    ClientSettings,
    close_client,
    new_publisher_client,
    new_subscriber_client,
)
from pubsub_runtime.testing import Emulator

pytestmark = pytest.mark.emulator

REPO = Path(__file__).resolve().parents[2]
APP = "tests.runtime.apps.dlq_service:app"
WAIT = 90.0  # guard against hangs only


@dataclass
class Service:
    """The service of ``apps/dlq_service`` run in this process, with a fixable bug."""

    project: str
    topics: dict[str, str]
    dead_letter: str
    broken: bool = True
    handled: list[Message[Order]] = field(default_factory=list)
    on_decode_error: Any = "nack"
    dead_letter_exists: bool = False  # the broker creates it at its first start

    def broker(self) -> PubSubBroker:
        async def handle(message: Message[Order]) -> None:
            if self.broken:
                raise RuntimeError("bug 1234")
            self.handled.append(message)

        return build_broker(
            self.project, self.topics, self.dead_letter, handle, self.on_decode_error
        )

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "APP_PROJECT": self.project,
            "APP_TOPICS": ",".join(f"{t}={s}" for t, s in self.topics.items()),
            "APP_DEAD_LETTER": self.dead_letter,
        }

    def cli(self, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pubsub_runtime", "dlq", APP, *args],
            cwd=REPO,
            env=self.env(),
            capture_output=True,
            text=True,
            input=input,
            timeout=WAIT,
        )


@pytest.fixture
def service(pubsub_emulator: Emulator, unique_name: Callable[[str], str]) -> Service:
    return Service(
        project=pubsub_emulator.project_id,
        topics={unique_name("orders"): unique_name("orders-sub")},
        dead_letter=unique_name("orders-dlq"),
    )


async def wait_for(condition: Callable[[], Any], what: str) -> None:
    deadline = asyncio.get_running_loop().time() + WAIT
    while not await condition():
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        await asyncio.sleep(0.3)


async def dead_letter(
    service: Service, messages: Iterable[tuple[str, bytes | Order, dict[str, str], str | None]]
) -> list[str]:
    """Run the broken service until Pub/Sub dead-lettered every message; their ids."""
    broker = service.broker()
    ids: list[str] = []
    before = (
        await count_dead_letters(broker, service.dead_letter) if service.dead_letter_exists else 0
    )
    async with broker:
        for topic, data, attributes, key in messages:
            ids.append(await broker.publish(topic, data, attributes, key))

        async def all_dead() -> bool:
            return await count_dead_letters(broker, service.dead_letter) == before + len(ids)

        await wait_for(all_dead, f"{len(ids)} message(s) in {service.dead_letter}")
    service.dead_letter_exists = True
    return ids


async def drain(project: str, subscription: str, expected: int) -> list[PubsubMessage]:
    """Pull (and ack) ``expected`` messages from a probe subscription, then check for more."""
    client = new_subscriber_client(ClientSettings())
    path = f"projects/{project}/subscriptions/{subscription}"
    got: list[PubsubMessage] = []
    try:
        deadline = asyncio.get_running_loop().time() + WAIT
        while True:
            response = await client.pull(subscription=path, max_messages=100, timeout=5)
            if response.received_messages:
                got.extend(r.message for r in response.received_messages)
                await client.acknowledge(
                    subscription=path, ack_ids=[r.ack_id for r in response.received_messages]
                )
            if len(got) >= expected:
                await asyncio.sleep(1.0)  # anything beyond ``expected`` would show up now
                extra = await client.pull(subscription=path, max_messages=100, timeout=5)
                got.extend(r.message for r in extra.received_messages)
                return got
            assert asyncio.get_running_loop().time() < deadline, f"got {len(got)} of {expected}"
    finally:
        await close_client(client)


async def probe(project: str, topic: str, name: str) -> str:
    """A subscription on ``topic`` that sees what is published from now on."""
    client = new_subscriber_client(ClientSettings())
    try:
        await client.create_subscription(
            name=f"projects/{project}/subscriptions/{name}",
            topic=f"projects/{project}/topics/{topic}",
        )
    finally:
        await close_client(client)
    return name


def order(order_id: str, amount: int = 10) -> Order:
    return Order(order_id=order_id, amount=amount)


# -- peek ------------------------------------------------------------------------------------


async def test_peek_shows_decoded_dead_letters_with_reason_and_attempts_and_acks_nothing(
    service: Service,
) -> None:
    (topic,) = service.topics
    ids = await dead_letter(
        service,
        [
            (topic, order("o-1", 5), {"tenant": "acme"}, "customer-7"),
            (topic, order("o-2", 7), {"tenant": "globex"}, None),
        ],
    )

    shown = service.cli("peek", service.dead_letter, "--limit", "10")
    assert shown.returncode == 0, shown.stderr
    letters = {item["payload"]["order_id"]: item for item in json.loads(shown.stdout)}
    assert set(letters) == {"o-1", "o-2"}
    first = letters["o-1"]
    assert first["payload"] == {"order_id": "o-1", "amount": 5, "note": None}
    assert first["attributes"]["tenant"] == "acme"
    assert first["ordering_key"] == "customer-7"
    assert first["source_topic"] == topic
    assert first["source_subscription"] == service.topics[topic]
    assert first["delivery_attempts"] == 5
    assert first["replay_count"] == 0
    assert "after 5 delivery attempts" in first["reason"]

    # Nothing was acked: the function sees the same messages again, and --limit limits.
    broker = service.broker()
    again = await peek_dead_letters(broker, service.dead_letter, limit=10)
    assert sorted(letter.payload.order_id for letter in again) == ["o-1", "o-2"]
    assert len(await peek_dead_letters(broker, service.dead_letter, limit=1)) == 1
    assert await count_dead_letters(broker, service.dead_letter) == len(ids)


async def test_peek_shows_why_a_poison_message_did_not_decode(service: Service) -> None:
    (topic,) = service.topics
    service.on_decode_error = "dead_letter"
    await dead_letter(service, [(topic, b'{"order_id": "o-9"}', {"tenant": "acme"}, None)])

    (letter,) = await peek_dead_letters(service.broker(), service.dead_letter)
    assert letter.payload is None
    assert letter.reason.startswith("does not decode: ")
    assert "amount" in letter.reason
    assert letter.source_topic == topic
    body = letter.to_json()
    assert body["data"] == '{"order_id": "o-9"}'
    assert "amount" in body["decode_error"]


# -- replay ----------------------------------------------------------------------------------


async def test_replay_republishes_to_the_source_topic_and_the_fixed_handler_gets_them(
    service: Service,
) -> None:
    (topic,) = service.topics
    await dead_letter(
        service,
        [
            (topic, order("o-1"), {"tenant": "acme"}, "customer-7"),
            (topic, order("o-2"), {"tenant": "globex"}, None),
        ],
    )
    service.broken = False  # the fix is deployed
    broker = service.broker()
    async with broker:
        done = service.cli("replay", service.dead_letter)
        assert done.returncode == 0, done.stderr
        assert "replayed 2, refused 0" in done.stdout

        async def both_handled() -> bool:
            return len(service.handled) >= 2

        await wait_for(both_handled, "the replayed orders to be handled")
    handled = {m.payload.order_id: m for m in service.handled}
    assert set(handled) == {"o-1", "o-2"}
    first = handled["o-1"]
    assert first.attributes["tenant"] == "acme"
    assert first.attributes["pubsub-replay-count"] == "1"
    assert first.ordering_key == "customer-7"
    assert not [k for k in first.attributes if k.startswith("CloudPubSubDeadLetter")]
    assert await count_dead_letters(broker, service.dead_letter) == 0


async def test_a_dry_run_publishes_and_acks_nothing(service: Service) -> None:
    (topic,) = service.topics
    await dead_letter(service, [(topic, order("o-1"), {}, None), (topic, order("o-2"), {}, None)])
    watcher = await probe(service.project, topic, service.dead_letter + "-probe")

    done = service.cli("replay", service.dead_letter, "--dry-run")
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("would replay ") == 3  # two messages and the summary
    assert f"to projects/{service.project}/topics/{topic}" in done.stdout

    assert await drain(service.project, watcher, 0) == []
    assert await count_dead_letters(service.broker(), service.dead_letter) == 2


async def test_a_filter_replays_only_the_matching_messages(service: Service) -> None:
    (topic,) = service.topics
    await dead_letter(
        service,
        [
            (topic, order("a-1"), {"tenant": "acme"}, None),
            (topic, order("g-1"), {"tenant": "globex"}, None),
            (topic, order("a-2"), {"tenant": "acme", "region": "eu"}, None),
        ],
    )
    watcher = await probe(service.project, topic, service.dead_letter + "-probe")

    done = service.cli("replay", service.dead_letter, "--filter", 'attributes.tenant = "acme"')
    assert done.returncode == 0, done.stderr
    assert "replayed 2, refused 0, not matching the filter 1" in done.stdout

    replayed = await drain(service.project, watcher, 2)
    assert sorted(json.loads(m.data)["order_id"] for m in replayed) == ["a-1", "a-2"]
    (left,) = await peek_dead_letters(service.broker(), service.dead_letter)
    assert left.payload.order_id == "g-1"


async def test_a_filter_that_does_not_parse_is_a_usage_error(service: Service) -> None:
    done = service.cli("replay", service.dead_letter, "--filter", "__import__('os')")
    assert done.returncode == 2
    assert "--filter" in done.stderr
    assert "Traceback" not in done.stderr


async def test_a_message_replayed_too_often_is_refused_and_stays(service: Service) -> None:
    (topic,) = service.topics
    await dead_letter(service, [(topic, order("o-1"), {"tenant": "acme"}, None)])
    broker = service.broker()
    first = await replay_dead_letters(broker, service.dead_letter, max_replays=1)
    assert len(first.replayed) == 1 and not first.refused

    # The bug is not fixed: the replayed message is dead-lettered again, with its count.
    async with broker:

        async def back() -> bool:
            return await count_dead_letters(broker, service.dead_letter) == 1

        await wait_for(back, "the replayed message to be dead-lettered again")
    (letter,) = await peek_dead_letters(broker, service.dead_letter)
    assert letter.replay_count == 1

    done = service.cli("replay", service.dead_letter, "--max-replays", "1")
    assert done.returncode == 0, done.stderr
    assert f"refused {letter.message_id}: already replayed 1 time(s) (limit 1)" in done.stdout
    assert "replayed 0, refused 1" in done.stdout
    (still,) = await peek_dead_letters(broker, service.dead_letter)
    assert still.message_id == letter.message_id


async def test_a_publish_failing_half_way_loses_nothing(
    service: Service, unique_name: Callable[[str], str]
) -> None:
    """Orders from two topics share a DLQ; the second topic is deleted before the replay."""
    (first_topic,) = service.topics
    second_topic = unique_name("returns")
    service.topics[second_topic] = unique_name("returns-sub")
    await dead_letter(service, [(first_topic, order(f"a-{i}"), {}, None) for i in range(2)])
    await dead_letter(service, [(second_topic, order(f"b-{i}"), {}, None) for i in range(2)])
    watcher = await probe(service.project, first_topic, service.dead_letter + "-probe")
    publisher = new_publisher_client(ClientSettings())
    try:
        await publisher.delete_topic(topic=f"projects/{service.project}/topics/{second_topic}")
    finally:
        await close_client(publisher)

    done = service.cli("replay", service.dead_letter)
    assert done.returncode == 1
    assert "failed" in done.stderr and "stay in the dead-letter subscription" in done.stderr
    assert "Traceback" not in done.stderr

    replayed = [json.loads(m.data)["order_id"] for m in await drain(service.project, watcher, 2)]
    left = [
        x.payload.order_id
        for x in await peek_dead_letters(service.broker(), service.dead_letter, limit=10)
    ]
    assert sorted(replayed) == ["a-0", "a-1"]  # replayed before the failure, once each
    assert sorted(left) == ["b-0", "b-1"]  # the failed one and the one after it stay


# -- purge -----------------------------------------------------------------------------------


async def test_purge_acks_every_dead_letter(service: Service) -> None:
    (topic,) = service.topics
    service.on_decode_error = "dead_letter"
    await dead_letter(service, [(topic, b"not json", {}, None) for _ in range(3)])

    refused = service.cli("purge", service.dead_letter, input="n\n")
    assert refused.returncode == 1  # aborted at the question: nothing deleted
    assert await count_dead_letters(service.broker(), service.dead_letter) == 3

    done = service.cli("purge", service.dead_letter, "--yes")
    assert done.returncode == 0, done.stderr
    assert f"purged 3 message(s) from {service.dead_letter}" in done.stdout
    assert await count_dead_letters(service.broker(), service.dead_letter) == 0
    assert await purge_dead_letters(service.broker(), service.dead_letter) == 0


async def test_list_shows_the_dead_letter_subscriptions_and_their_counts(
    service: Service,
) -> None:
    (topic,) = service.topics
    service.on_decode_error = "dead_letter"
    await dead_letter(service, [(topic, b"not json", {}, None)])
    done = service.cli("list")
    assert done.returncode == 0, done.stderr
    assert f"{service.topics[topic]}\t{topic}\t{service.dead_letter}\t1" in done.stdout


async def test_a_rate_paces_the_republishing(service: Service) -> None:
    (topic,) = service.topics
    service.on_decode_error = "dead_letter"
    await dead_letter(service, [(topic, b"not json", {}, None) for _ in range(6)])
    started = asyncio.get_running_loop().time()
    report = await replay_dead_letters(service.broker(), service.dead_letter, rate=4)
    elapsed = asyncio.get_running_loop().time() - started
    assert len(report.replayed) == 6
    # 4 a second: the first 4 at once, the other 2 a second later (a lower bound, not a goal).
    assert elapsed >= 0.95
