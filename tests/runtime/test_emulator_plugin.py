"""The emulator launcher and pytest plugin start the real emulator and clients reach it."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from pathlib import Path

import pytest
from google.api_core.exceptions import AlreadyExists
from google.pubsub_v1 import PublisherAsyncClient

from pubsub_runtime.testing import Emulator, find_emulator, start_emulator

pytestmark = pytest.mark.emulator


def test_fixture_points_clients_at_the_emulator(pubsub_emulator: Emulator) -> None:
    assert os.environ["PUBSUB_EMULATOR_HOST"] == pubsub_emulator.host
    assert pubsub_emulator.running
    with socket.create_connection(("127.0.0.1", pubsub_emulator.port), timeout=2):
        pass


async def test_a_topic_can_be_created_and_found(
    pubsub_emulator: Emulator, unique_name: Callable[[str], str]
) -> None:
    client = PublisherAsyncClient()
    topic = f"projects/{pubsub_emulator.project_id}/topics/{unique_name('plugin')}"
    created = await client.create_topic(name=topic)
    assert created.name == topic
    assert (await client.get_topic(topic=topic)).name == topic
    with pytest.raises(AlreadyExists):
        await client.create_topic(name=topic)


def test_unique_names_differ_and_keep_the_prefix(unique_name: Callable[[str], str]) -> None:
    first, second = unique_name("orders"), unique_name("orders")
    assert first != second
    assert first.startswith("orders-") and second.startswith("orders-")


def test_find_emulator_honours_the_override(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    script = tmp_path / "cloud-pubsub-emulator"
    script.write_text("#!/bin/sh\n")
    monkeypatch.setenv("PUBSUB_EMULATOR_BIN", str(script))
    assert find_emulator() == script
    monkeypatch.setenv("PUBSUB_EMULATOR_BIN", str(tmp_path / "missing"))
    assert find_emulator() is None


def test_a_second_emulator_starts_and_stops_by_pid(pubsub_emulator: Emulator) -> None:
    with start_emulator(project_id="other-project") as emulator:
        assert emulator.port != pubsub_emulator.port
        assert emulator.running
        pid = emulator.pid
    assert not emulator.running
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert pubsub_emulator.running
