"""PLACEHOLDER: Message (being written)."""


class Message:  # placeholder
    pass
