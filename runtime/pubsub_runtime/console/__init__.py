"""The console: a development web UI for a ``FastPubSub`` app's topics, served by the app itself.

Off by default. ``FastPubSub(broker, console=True)`` (or ``PUBSUB_CONSOLE=1`` in the environment
when ``console`` is left unset) mounts it at ``console_path`` (``/console``); it needs the
``console`` extra (``pip install 'pubsub-runtime[console]'``). It is served on the app's own host
and port, behind the app's dependencies (``FastPubSub(..., dependencies=[Depends(auth)])``) and
``console_dependencies`` of its own. Pages:

- the overview: the app's topics and subscriptions, their state, messages in flight and how
  many messages each dead-letter subscription holds;
- a topic: a publish form generated from the model's JSON Schema (checked in the browser and by
  the codec) and a live tail of the topic, decoded, read through a temporary subscription;
- a dead-letter subscription: its messages decoded (peeked, nothing acked) and a replay button.
"""

from __future__ import annotations

from pubsub_runtime.console._routes import console_router

__all__ = ["console_router"]
