"""``MODULE:APP`` on the command line: the one place that reads it, imports it and finds its broker.

Every command that takes ``MODULE:APP`` (``run``, ``publish``, ``dlq``) goes through
``load_target``: ``APP`` is a dotted attribute path in ``MODULE``, imported with ``--app-dir``
first on ``sys.path``. A target that is mistyped, that cannot be found, or that is not what the
command needs is a ``click.BadParameter`` (exit 2, one line). An ``ImportError`` raised *inside*
the user's module (a dependency it lacks) is not a usage error: it propagates with its
traceback.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import click

from pubsub_runtime._broker import PubSubBroker

__all__ = ["load_broker", "load_target", "put_first_on_path", "split_target"]

_HINT = "MODULE:APP"


def split_target(target: str) -> tuple[str, str]:
    """``(module, attribute)`` of ``MODULE:APP``; anything else is a usage error."""
    module_name, sep, attribute = target.partition(":")
    if not sep or not module_name or not attribute:
        raise click.BadParameter(
            f"expected MODULE:APP, like 'service.main:app', got {target!r}", param_hint=_HINT
        )
    return module_name, attribute


def put_first_on_path(app_dir: str) -> str:
    """Put ``app_dir`` (made absolute) first on ``sys.path``, so MODULE imports from there.

    Worker processes started by ``run --workers`` inherit ``sys.path``, so this reaches them too.
    """
    folder = os.path.abspath(app_dir)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    return folder


def load_target(target: str, app_dir: str = ".") -> Any:
    """Import ``MODULE`` from ``app_dir`` (or the rest of ``sys.path``) and return its ``APP``."""
    module_name, attribute = split_target(target)
    folder = put_first_on_path(app_dir)
    try:
        found: Any = importlib.import_module(module_name)
    except ImportError as exc:
        # Only the module itself (or a package on its path) missing is the user's typo.
        if not exc.name or not (module_name + ".").startswith(exc.name + "."):
            raise
        raise click.BadParameter(
            f"cannot load {target}: cannot import module {module_name!r} (looked in "
            f"{folder!r}; use --app-dir to point elsewhere)",
            param_hint=_HINT,
        ) from None
    for part in attribute.split("."):
        if not hasattr(found, part):
            raise click.BadParameter(
                f"cannot load {target}: module {module_name!r} has no attribute {attribute!r}",
                param_hint=_HINT,
            )
        found = getattr(found, part)
    return found


def load_broker(target: str, app_dir: str = ".") -> PubSubBroker:
    """The broker of ``MODULE:APP``: a ``FastPubSub`` app's ``broker``, or a ``PubSubBroker``."""
    found = load_target(target, app_dir)
    broker = found if isinstance(found, PubSubBroker) else getattr(found, "broker", None)
    if not isinstance(broker, PubSubBroker):
        raise click.BadParameter(
            f"{target} is neither a FastPubSub app nor a PubSubBroker", param_hint=_HINT
        )
    return broker
