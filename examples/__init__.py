"""Runnable examples of pubsub-gen and pubsub-runtime (``python -m examples.demo``)."""
