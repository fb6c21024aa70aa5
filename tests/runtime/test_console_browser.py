"""The console in a real headless browser, on a service run with ``python -m pubsub_runtime run``
against the emulator: publish through the generated form and see the message in the live tail;
see a poison message in the dead-letter view, fix the handler, replay it and see it handled.

The screenshots of the docs' console page are taken here (``make screenshots``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from apps.ops_common import Service, running_service
from browser_support import browser_page, screenshot_dir

from pubsub_runtime.testing import Emulator

pytestmark = pytest.mark.emulator

APP = "tests.runtime.apps.dlq_service:app"
PATIENCE = 90.0  # seconds before a wait gives up; not a goal


@pytest.fixture
def names(unique_name: Callable[[str], str]) -> dict[str, str]:
    return {
        "topic": unique_name("orders"),
        "subscription": unique_name("orders-sub"),
        "dead_letter": unique_name("orders-dlq"),
    }


@pytest.fixture
def service(pubsub_emulator: Emulator, names: dict[str, str], tmp_path: Path) -> Iterator[Service]:
    broken = tmp_path / "broken"
    env = {
        "APP_PROJECT": pubsub_emulator.project_id,
        "APP_TOPICS": f"{names['topic']}={names['subscription']}",
        "APP_DEAD_LETTER": names["dead_letter"],
        "APP_BROKEN": str(broken),
        "APP_CONSOLE": "1",
    }
    with running_service(APP, tmp_path / "service", env) as running:
        yield running


def handled(service: Service) -> list[dict[str, str]]:
    if not service.record.exists():
        return []
    return [json.loads(line) for line in service.record.read_text().splitlines() if line]


def eventually(condition: Callable[[], Any], what: str) -> None:
    deadline = time.monotonic() + PATIENCE
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.3)


def test_a_message_published_through_the_form_shows_in_the_live_tail_decoded(
    service: Service, names: dict[str, str], tmp_path: Path, pubsub_emulator: Emulator
) -> None:
    shots = screenshot_dir(tmp_path / "shots")
    topic = names["topic"]
    with browser_page() as page:
        page.goto(f"{service.url}/console/")
        assert page.locator("#subscriptions").inner_text().count(names["subscription"]) == 2

        page.click(f"#topics a:text('{topic}')")
        page.wait_for_selector("#tail-status[data-ready=true]")

        # The browser refuses what the schema refuses (amount >= 0), before anything is sent.
        page.fill("#field-order_id", "o-1")
        page.fill("#field-amount", "-3")
        page.click("#publish button[type=submit]")
        assert "Fix the marked fields" in page.inner_text("#publish-status")
        assert page.eval_on_selector("#field-amount", "el => el.validity.valid") is False

        page.fill("#field-amount", "12")
        page.fill("#field-note", "gift wrap")
        page.fill("#attributes", '{"tenant": "acme"}')
        page.click("#publish button[type=submit]")
        page.wait_for_selector("#publish-status.good")
        message_id = page.inner_text("#publish-status").rsplit(" ", 1)[-1]

        shown = page.wait_for_selector(f"#tail .message[data-message-id='{message_id}']")
        assert shown is not None
        text = shown.inner_text()
        payload = json.loads(shown.query_selector("pre").inner_text())
        assert payload == {"order_id": "o-1", "amount": 12, "note": "gift wrap"}
        assert "Order" in text  # decoded with the topic's model
        assert json.loads(shown.query_selector("pre.attributes").inner_text())["tenant"] == "acme"
        assert page.locator("#tail .message").count() == 1  # the refused one never left
        page.screenshot(path=str(shots / "console-topic.png"), full_page=True)

    # The service's own consumer got it too: the tail did not take it from the service.
    eventually(lambda: [h["order_id"] for h in handled(service)] == ["o-1"], "the handler")
    # The page is gone, and so is the tail's temporary subscription.
    eventually(
        lambda: subscriptions_of(pubsub_emulator.project_id, topic) == [names["subscription"]],
        "the tail's cleanup",
    )


def subscriptions_of(project: str, topic: str) -> list[str]:
    from google.cloud.pubsub_v1 import PublisherClient

    client = PublisherClient()
    try:
        names = client.list_topic_subscriptions(topic=client.topic_path(project, topic))
        return sorted(name.rsplit("/", 1)[-1] for name in names)
    finally:
        client.transport.close()


def test_a_poison_message_is_replayed_from_the_dead_letter_view_once_the_handler_is_fixed(
    service: Service, names: dict[str, str], tmp_path: Path
) -> None:
    shots = screenshot_dir(tmp_path / "shots")
    broken = Path(service.record.parent.parent / "broken")
    broken.touch()  # a release with a bug: every order fails
    with browser_page() as page:
        page.goto(f"{service.url}/console/topics/{names['topic']}")
        page.wait_for_selector("#tail-status[data-ready=true]")
        page.fill("#field-order_id", "o-poison")
        page.fill("#field-amount", "40")
        page.click("#publish button[type=submit]")
        page.wait_for_selector("#publish-status.good")
        message_id = page.inner_text("#publish-status").rsplit(" ", 1)[-1]

        # Pub/Sub dead-letters it after 5 failed deliveries; the overview counts it.
        count = f"a[data-dead-letters='{names['dead_letter']}']"

        def dead_lettered() -> bool:
            page.goto(f"{service.url}/console/")
            return page.inner_text(count) == "1"

        eventually(dead_lettered, "the overview to count one dead letter")
        page.screenshot(path=str(shots / "console-overview.png"))
        page.click(count)
        row = page.wait_for_selector("#dead-letters tr[data-message-id]")
        assert row is not None
        text = row.inner_text()
        assert "o-poison" in text and "after 5 delivery attempts" in text
        assert names["topic"] in text
        page.screenshot(path=str(shots / "console-dead-letters.png"), full_page=True)

        broken.unlink()  # the fix is deployed
        page.click("#replay")
        page.wait_for_selector("#replay-status.good")
        assert page.inner_text("#replay-status").startswith("Replayed 1, refused 0")
        assert page.locator("#dead-letters tr[data-message-id]").count() == 0

        eventually(lambda: bool(handled(service)), "the replayed order to be handled")
        (order,) = handled(service)
        assert order["order_id"] == "o-poison"
        assert order["pubsub-replay-count"] == "1"
        page.reload()
        assert "No dead letters." in page.inner_text("#dead-letters")
        page.goto(f"{service.url}/console/")
        assert page.inner_text(count) == "0"
    assert message_id
