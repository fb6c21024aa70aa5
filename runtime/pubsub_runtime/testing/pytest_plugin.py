"""pytest plugin: the real Pub/Sub emulator for integration tests.

Registered through the ``pytest11`` entry point, so installing ``pubsub-runtime`` makes these
fixtures available:

- ``pubsub_emulator`` (session): starts the emulator on a free port and sets
  ``PUBSUB_EMULATOR_HOST`` for the session (restored afterwards). When the emulator is not
  installed the test is skipped with the reason, or fails when ``CI=true``.
- ``pubsub_project_id`` (session): the project id to use against the emulator.
- ``unique_name`` (function): ``unique_name("orders") -> "orders-1a2b3c4d5e6f"``; the emulator
  misbehaves when a subscription is reused after a stream disconnects, so tests never share names.

A test that needs a sample message pubsub-gen could not build (``SampleMissing``, raised by the
generated ``samples.py``) is skipped with the reason and the hook to fill in
(``samples_by_hand.py``), rather than failed.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator

import pytest

from pubsub_runtime.testing._emulator import (
    DEFAULT_PROJECT_ID,
    Emulator,
    EmulatorError,
    find_emulator,
    start_emulator,
)

_HOST_VARIABLE = "PUBSUB_EMULATOR_HOST"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "emulator: needs the Pub/Sub emulator (skips when absent, fails under CI=true)"
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    from pubsub_runtime.testing._samples import SampleMissing

    try:
        return (yield)
    except SampleMissing as exc:
        pytest.skip(str(exc))


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def _unavailable(reason: str) -> None:
    if _in_ci():
        pytest.fail(f"{reason} (CI is set, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def pubsub_project_id() -> str:
    """The project id used against the emulator (``PUBSUB_PROJECT_ID`` overrides)."""
    return os.environ.get("PUBSUB_PROJECT_ID", DEFAULT_PROJECT_ID)


@pytest.fixture(scope="session")
def pubsub_emulator(pubsub_project_id: str) -> Iterator[Emulator]:
    """A running emulator for the whole session, with ``PUBSUB_EMULATOR_HOST`` pointing at it."""
    if find_emulator() is None:
        _unavailable(
            "Pub/Sub emulator not installed (install the gcloud 'pubsub-emulator' component "
            "or set PUBSUB_EMULATOR_BIN)"
        )
    try:
        emulator = start_emulator(project_id=pubsub_project_id)
    except EmulatorError as exc:
        _unavailable(f"Pub/Sub emulator did not start: {exc}")
        raise  # unreachable: skip/fail raise; keeps the type checker informed
    previous = os.environ.get(_HOST_VARIABLE)
    os.environ[_HOST_VARIABLE] = emulator.host
    try:
        yield emulator
    finally:
        if previous is None:
            os.environ.pop(_HOST_VARIABLE, None)
        else:
            os.environ[_HOST_VARIABLE] = previous
        emulator.stop()


@pytest.fixture
def unique_name() -> Callable[[str], str]:
    """A factory of unique topic/subscription names: ``unique_name("orders")``."""

    def make(prefix: str = "test") -> str:
        return f"{prefix}-{uuid.uuid4().hex[:12]}"

    return make
