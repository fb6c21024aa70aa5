"""Step 1: find, parse and check the schema files and build the intermediate model.

The loader itself (``pubsub_gen.load.project``) is imported on first use: ``discover`` must
stay cheap for the no-op check of a run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pubsub_gen.load.project import load_project, metaschema_problems

__all__ = ["load_project", "metaschema_problems"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from pubsub_gen.load import project

        return getattr(project, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
