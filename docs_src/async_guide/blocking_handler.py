"""What not to do: a blocking call inside an async handler freezes the whole process."""

import time

from pubsub_runtime import Message, PubSubBroker

broker = PubSubBroker(project_id="local-project")


@broker.subscriber("resize", topic_name="user-events", subscription_name="user-events-resize")
async def resize_avatar(message: Message[None]) -> None:
    # Half a second in which no other message is handled and /consumers/alive cannot answer.
    # (ruff's ASYNC251 rule flags this line; the noqa keeps the bad example on this page.)
    time.sleep(0.5)  # noqa: ASYNC251
