"""``python -m pubsub_gen``: the same as the ``pubsub-gen`` command."""

from pubsub_gen.cli import main

main()
