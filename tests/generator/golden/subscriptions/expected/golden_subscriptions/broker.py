# This file is yours: pubsub-gen wrote it once and never overwrites it.
"""The service's broker, with every topic of the package registered: payloads are typed.

PUBSUB_PROJECT_ID names the Google Cloud project; PUBSUB_EMULATOR_HOST, when set, points the
broker at a Pub/Sub emulator.
"""

import os

from pubsub_runtime import PubSubBroker

from . import TOPICS

broker = PubSubBroker(
    project_id=os.environ.get("PUBSUB_PROJECT_ID", "local-project"),
    topics=TOPICS,
)
