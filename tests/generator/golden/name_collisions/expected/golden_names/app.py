# This file is yours: pubsub-gen wrote it once and never overwrites it.
"""The service: the broker and every handler, served by FastPubSub.

Run it with `pubsub-runtime run golden_names.app:app`; health: GET /consumers/alive and
GET /consumers/ready.
"""

from pubsub_runtime import FastPubSub

# Importing the handlers registers their subscribers on the broker.
from . import handlers  # noqa: F401
from .broker import broker

app = FastPubSub(broker)
