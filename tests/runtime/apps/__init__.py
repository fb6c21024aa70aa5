"""Applications the CLI tests serve with ``python -m pubsub_runtime run``."""
