"""An app that serves Prometheus metrics of its subscribers and publishes at /metrics."""

from example_events import TOPICS, OrderPlaced

from pubsub_runtime import FastPubSub, PubSubBroker

broker = PubSubBroker(project_id="my-project", topics=TOPICS)
app = FastPubSub(broker, metrics=True)  # needs the extra: pip install "pubsub-runtime[metrics]"


@broker.subscriber("invoice", topic_name="order_placed", subscription_name="order_placed-invoice")
async def invoice(order: OrderPlaced) -> None:
    await broker.publish("order_invoiced", {"orderId": str(order.order_id)}, autocreate=True)
