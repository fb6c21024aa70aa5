"""``pubsub-gen check-compat``: can new schemas read old messages, and old code new ones?

The rule engines work on parsed schemas (``avro_rules``, ``json_rules``); ``check`` matches
topics and runs them per direction; ``sources`` loads folders or a git ref; ``report`` prints.
"""

from .check import compare, compare_documents, compare_topic
from .model import Direction, Finding, Kind, Mode, TopicSchema

__all__ = [
    "Direction",
    "Finding",
    "Kind",
    "Mode",
    "TopicSchema",
    "compare",
    "compare_documents",
    "compare_topic",
]
