"""A plain `def` handler is refused when it is declared, not when the first message arrives."""

from pubsub_runtime import Message, PubSubBroker

broker = PubSubBroker(project_id="local-project")


def declare_sync_handler() -> None:
    @broker.subscriber("audit", topic_name="user-events", subscription_name="user-events-audit")
    def audit(message: Message[None]) -> None:  # TypeError: must be an 'async def' function
        print(message.id)
