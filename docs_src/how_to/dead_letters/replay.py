"""Send one tenant's dead letters back once the fix is deployed, from a script."""

from pubsub_runtime import PubSubBroker, ReplayReport, peek_dead_letters, replay_dead_letters


async def replay_tenant(broker: PubSubBroker, tenant: str) -> ReplayReport:
    for letter in await peek_dead_letters(broker, "order_placed-dead", limit=20):
        print(letter.message_id, letter.reason)  # decoded: letter.payload is an OrderPlaced
    report = await replay_dead_letters(
        broker,
        "order_placed-dead",
        filter=f'attributes.tenant = "{tenant}"',  # Pub/Sub's filter syntax, on attributes
        rate=20,  # publishes per second, not to flood the fixed service
        max_replays=3,  # a message sent back 3 times already stays where it is
    )
    if report.error:  # a publish failed: that message and the rest are still dead letters
        raise RuntimeError(report.error)
    return report
