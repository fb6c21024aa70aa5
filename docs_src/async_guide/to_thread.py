"""A library with no async API: run the blocking call in a thread and await it."""

import asyncio
import hashlib
import logging
from pathlib import Path

from pubsub_runtime import Message, PubSubBroker

logger = logging.getLogger(__name__)
broker = PubSubBroker(project_id="local-project")
ARCHIVE = Path("archive")


def write_file(path: Path, data: bytes) -> str:
    """Plain blocking file I/O; it runs in a worker thread, not on the loop."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest()


@broker.subscriber("archive", topic_name="user-events", subscription_name="user-events-archive")
async def archive(message: Message[None]) -> None:
    digest = await asyncio.to_thread(write_file, ARCHIVE / f"{message.id}.bin", message.data)
    logger.info("archived message %s (sha256 %s)", message.id, digest)
