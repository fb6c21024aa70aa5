"""A whole service in one module: a typed handler, a route that publishes, and the app."""

import logging
import os

from example_events import TOPICS, OrderPlaced, OrderPlacedPublisher

from pubsub_runtime import FastPubSub, PubSubBroker

logger = logging.getLogger(__name__)

PROJECT_ID = os.environ.get("PUBSUB_PROJECT_ID", "local-project")

broker = PubSubBroker(project_id=PROJECT_ID, topics=TOPICS)
app = FastPubSub(broker)
orders = OrderPlacedPublisher(broker)


@broker.subscriber("billing", topic_name="order_placed", subscription_name="order_placed-billing")
async def bill(order: OrderPlaced) -> None:
    """Receives the decoded model. Returning acks the message; raising nacks it."""
    logger.info("billing order %s: %s", order.order_id, order.total)


@app.post("/orders")
async def place_order(order: OrderPlaced) -> dict[str, str]:
    """FastAPI validates the body into the model; the publisher encodes it for the topic."""
    return {"message_id": await orders.publish(order)}
