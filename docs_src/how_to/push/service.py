"""A push subscription: Pub/Sub POSTs each order to the app, which checks Pub/Sub's token."""

from example_events import TOPICS, OrderPlaced

from pubsub_runtime import Drop, FastPubSub, Message, PubSubBroker, PushAuth, Retry

broker = PubSubBroker(project_id="my-project", topics=TOPICS)
app = FastPubSub(broker)  # mounts a POST route for every push subscriber of the broker
SHIPPED: set[str] = set()  # stands in for the warehouse's records


class WarehouseBusy(Exception):
    """The warehouse asked us to come back later."""


async def book_shipment(order: OrderPlaced) -> None:
    """Calls the warehouse (here: only records the booking)."""
    SHIPPED.add(str(order.order_id))


@broker.push_subscriber(
    "ship",
    topic_name="order_placed",
    subscription_name="order_placed-ship",
    path="/push/order-placed",  # the route Pub/Sub posts to
    push_base_url="https://orders.example.com",  # the endpoint: this URL + path
    verify_token=PushAuth(  # check the OIDC token Pub/Sub signs for each request
        service_account_email="pubsub-push@my-project.iam.gserviceaccount.com",
    ),  # the audience defaults to the endpoint URL, as in Pub/Sub
    dead_letter_topic="order_placed-dead",
    max_delivery_attempts=5,
    timeout=20.0,  # under ack_deadline_seconds (60): Pub/Sub waits that long for the answer
)
async def ship(message: Message[OrderPlaced]) -> None:
    order = message.payload
    if str(order.order_id) in SHIPPED:
        raise Drop("already shipped")  # 204: acked
    try:
        await book_shipment(order)  # returning: 204, acked
    except WarehouseBusy as busy:
        raise Retry(delay=120, reason="warehouse busy") from busy  # 503: redelivered
