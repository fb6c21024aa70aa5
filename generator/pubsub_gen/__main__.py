"""``python -m pubsub_gen``: the same as the ``pubsub-gen`` command."""

from pubsub_gen.launch import main

main()
