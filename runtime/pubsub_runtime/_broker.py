"""PLACEHOLDER: PubSubBroker (being written)."""


class PubSubBroker:  # placeholder
    pass
