"""``python -m pubsub_runtime run MODULE:APP``: the same as the ``pubsub-runtime`` command."""

from __future__ import annotations

from pubsub_runtime.cli import main

# Guarded: worker processes are spawned and re-import the main module as ``__mp_main__``.
if __name__ == "__main__":
    main(prog_name="pubsub-runtime")
