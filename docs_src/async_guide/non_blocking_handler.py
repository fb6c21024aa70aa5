"""The same wait, awaited: the loop serves other messages and requests meanwhile."""

import asyncio

from pubsub_runtime import Message, PubSubBroker

broker = PubSubBroker(project_id="local-project")


@broker.subscriber("resize", topic_name="user-events", subscription_name="user-events-resize")
async def resize_avatar(message: Message[None]) -> None:
    await asyncio.sleep(0.5)  # suspends this handler only
