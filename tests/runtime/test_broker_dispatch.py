"""Handler task names (read by the loop watchdog) and how handlers are inspected."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from pubsub_runtime import Message, PubSubBroker
from pubsub_runtime._dispatch import (
    handler_task_name,
    inspect_handler,
    parse_handler_task_name,
)
from pubsub_runtime.testing import Emulator


def test_a_task_name_parses_back_to_its_parts() -> None:
    name = handler_task_name("orders", "app.handlers.on_order", "123456")
    assert name == "pubsub-handler|orders|app.handlers.on_order|123456"
    assert parse_handler_task_name(name) == ("orders", "app.handlers.on_order", "123456")


@pytest.mark.parametrize("name", ["Task-12", "pubsub-handler|orders", "pubsub-stream|a|0", ""])
def test_other_task_names_do_not_parse(name: str) -> None:
    assert parse_handler_task_name(name) is None


async def takes_message(message: Message) -> None:
    pass


async def takes_nothing_annotated(message) -> None:  # type: ignore[no-untyped-def]
    pass


class CallableHandler:
    async def __call__(self, message: Message) -> None:
        pass


@pytest.mark.parametrize("handler", [takes_message, takes_nothing_annotated, CallableHandler()])
def test_handlers_taking_the_message(handler: Callable[..., object]) -> None:
    assert inspect_handler(handler, "alias").wants_payload is False


def test_an_object_with_a_sync_call_is_refused() -> None:
    class SyncCallable:
        def __call__(self, message: Message) -> None:
            pass

    with pytest.raises(TypeError, match="async def"):
        inspect_handler(SyncCallable(), "alias")


def test_a_handler_without_parameters_is_refused() -> None:
    async def no_parameters() -> None:
        pass

    with pytest.raises(TypeError, match="one positional argument"):
        inspect_handler(no_parameters, "alias")


@pytest.mark.emulator
async def test_a_running_handler_is_found_by_its_task_name(
    pubsub_emulator: Emulator, unique_name: Callable[[str], str]
) -> None:
    broker = PubSubBroker(pubsub_emulator.project_id)
    topic = unique_name("named")
    names: asyncio.Queue[tuple[str, str, str] | None] = asyncio.Queue()

    @broker.subscriber("named", topic_name=topic, subscription_name=unique_name("named-sub"))
    async def on_named(message: Message) -> None:
        task = asyncio.current_task()
        assert task is not None
        await names.put(parse_handler_task_name(task.get_name()))

    async with broker:
        message_id = await broker.publish(topic_name=topic, data=b"x")
        parsed = await asyncio.wait_for(names.get(), 20)

    assert parsed is not None
    alias, qualname, parsed_id = parsed
    assert (alias, parsed_id) == ("named", message_id)
    assert qualname.endswith("on_named")
