"""A side effect that must happen once: commit it only when Pub/Sub confirms the ack."""

from example_events import TOPICS, OrderPlaced

from pubsub_runtime import AckResult, Message, PubSubBroker

broker = PubSubBroker(project_id="local-project", topics=TOPICS)
SHIPPED: list[str] = []  # stands in for the warehouse's records


class Shipment:
    """A unit of work that takes effect on commit (e.g. a database transaction)."""

    def __init__(self, order_id: str) -> None:
        self.order_id = order_id

    def commit(self) -> None:
        SHIPPED.append(self.order_id)


@broker.subscriber(
    "ship",
    topic_name="order_placed",
    subscription_name="order_placed-ship",
    enable_exactly_once_delivery=True,
)
async def ship(message: Message[OrderPlaced]) -> None:
    shipment = Shipment(str(message.payload.order_id))  # prepared, not yet done
    if await message.ack() is AckResult.SUCCESS:
        shipment.commit()  # Pub/Sub will not deliver this message again
    # Otherwise (the lease had ended) Pub/Sub delivers it again: that delivery ships it.
