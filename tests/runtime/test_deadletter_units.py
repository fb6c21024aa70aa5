"""The dead-letter tools' rules that need no Pub/Sub: what a replayed message carries, rates,
and usage errors of ``pubsub-runtime dlq`` (the emulator tests cover the rest)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from pubsub_runtime._deadletter import _republished_attributes, parse_rate
from pubsub_runtime.cli import main

APP = "tests.runtime.apps.dlq_service:app"


def test_a_replayed_message_keeps_its_own_attributes_only_and_counts_the_replay() -> None:
    dead = {
        "tenant": "acme",
        "content-type": "application/json",
        "CloudPubSubDeadLetterSourceSubscription": "orders-sub",
        "CloudPubSubDeadLetterSourceDeliveryCount": "5",
        "pubsub-decode-error": "amount: missing",
        "pubsub-source-topic": "projects/p/topics/orders",
        "pubsub-source-subscription": "projects/p/subscriptions/orders-sub",
        "pubsub-source-message-id": "17",
        "pubsub-delivery-attempt": "1",
        "pubsub-source-googclient_schemaencoding": "JSON",
        "googclient_schemarevisionid": "r1",
        "pubsub-replay-count": "2",
    }
    assert _republished_attributes(dead, 2) == {
        "tenant": "acme",
        "content-type": "application/json",
        "pubsub-replay-count": "3",
    }


@pytest.mark.parametrize(("text", "rate"), [("10/s", 10.0), ("2.5", 2.5), (" 7 / s ", 7.0)])
def test_a_rate_is_messages_per_second(text: str, rate: float) -> None:
    assert parse_rate(text) == rate


@pytest.mark.parametrize("text", ["0/s", "fast", "-1", "10/m", ""])
def test_a_rate_that_is_not_a_positive_number_per_second_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="messages per second"):
        parse_rate(text)


def test_usage_errors_exit_2_with_a_line_and_no_traceback() -> None:
    runner = CliRunner()
    bad_rate = runner.invoke(main, ["dlq", APP, "replay", "orders-dlq", "--rate", "fast"])
    assert bad_rate.exit_code == 2 and "--rate" in bad_rate.output
    bad_app = runner.invoke(main, ["dlq", "no_such_module:app", "list"])
    assert bad_app.exit_code == 2 and "cannot load no_such_module:app" in bad_app.output
    not_an_app = runner.invoke(main, ["dlq", "json:dumps", "list"])
    assert not_an_app.exit_code == 2 and "neither a FastPubSub app nor a PubSubBroker" in (
        not_an_app.output
    )
