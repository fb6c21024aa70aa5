"""PLACEHOLDER."""


def main() -> None:
    raise SystemExit("pubsub-gen: not yet implemented")
