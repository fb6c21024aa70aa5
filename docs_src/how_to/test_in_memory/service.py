"""The code under test: big orders are escalated with a follow-up event."""

from decimal import Decimal

from example_events import TOPICS, OrderPlaced, PriorityChanged, PriorityChangedPublisher
from example_events.priority_changed import Priority

from pubsub_runtime import PubSubBroker

BIG_ORDER = Decimal("1000")

broker = PubSubBroker(project_id="local-project", topics=TOPICS)
priorities = PriorityChangedPublisher(broker)


@broker.subscriber(
    "escalation",
    topic_name="order_placed",
    subscription_name="order_placed-escalation",
    dead_letter_topic="order_placed-dead",
    max_delivery_attempts=5,
)
async def escalate_big_orders(order: OrderPlaced) -> None:
    if not order.items:
        raise ValueError(f"order {order.order_id} has no items")
    if order.total >= BIG_ORDER:
        await priorities.publish(PriorityChanged(Priority.HIGH), ordering_key=str(order.order_id))
