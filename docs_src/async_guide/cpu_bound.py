"""CPU-heavy work goes to a process pool; the handler awaits its result."""

import hashlib
import logging

from pubsub_runtime import Message, PubSubBroker, run_in_process

logger = logging.getLogger(__name__)
broker = PubSubBroker(project_id="local-project")


def stretch_key(data: bytes, rounds: int) -> str:
    """Seconds of pure CPU for large `rounds`. Module level, so the pool can pickle it."""
    return hashlib.pbkdf2_hmac("sha256", data, b"salt", rounds).hex()


@broker.subscriber("keys", topic_name="user-events", subscription_name="user-events-keys")
async def derive_key(message: Message[None]) -> None:
    # Runs in another process; this loop keeps handling messages and health checks meanwhile.
    key = await run_in_process(stretch_key, message.data, rounds=200_000)
    logger.info("derived key %s... for message %s", key[:8], message.id)
