"""pubsub-gen: typed Pydantic models, TopicSpecs and publishers from Avro and JSON schemas.

``pubsub_gen.generate(schemas_dir, out_dir, package=...)`` does what ``pubsub-gen`` does.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # at run time each name is imported when first used (``__getattr__``)
    from pubsub_gen.config import ConfigError
    from pubsub_gen.errors import SchemaError, SchemaProblem, SchemaWarning
    from pubsub_gen.pipeline import GenerateResult
    from pubsub_gen.write import OutputError

__version__ = "0.1.0"

# Where each public name lives: ``import pubsub_gen`` (which every submodule's import runs
# first, the command line's too) imports none of them, so a run with nothing to do stays quick.
_MODULES = {
    "ConfigError": "pubsub_gen.config",
    "SchemaError": "pubsub_gen.errors",
    "SchemaProblem": "pubsub_gen.errors",
    "SchemaWarning": "pubsub_gen.errors",
    "GenerateResult": "pubsub_gen.pipeline",
    "OutputError": "pubsub_gen.write",
}

__all__ = [
    "ConfigError",
    "GenerateResult",
    "OutputError",
    "SchemaError",
    "SchemaProblem",
    "SchemaWarning",
    "__version__",
    "generate",
]


def generate(
    schemas_dir: Path | str | None = None,
    out_dir: Path | str | None = None,
    *,
    package: str | None = None,
    encoding: str | None = None,
    topics: Mapping[str, Mapping[str, Any]] | None = None,
    check: bool = False,
    diff: bool = False,
    pyproject: Path | str | None = None,
    cache: bool = True,
    service: str | None = None,
) -> GenerateResult:
    """Generate the typed package for the schemas in ``schemas_dir`` under ``out_dir``.

    Settings not given here come from ``[tool.pubsub-gen]`` of the nearest pyproject.toml
    (searched upward from ``schemas_dir``); ``topics`` adds per-topic settings by file stem.
    With ``check`` or ``diff`` nothing is written and the result lists what is stale.
    Raises ``SchemaError`` (all problems, one per line) when a schema is invalid and
    ``ConfigError`` when the settings are unusable, ``OutputError`` when a folder to write in
    is a symbolic link. A schema feature used in a weaker, documented way (an invalid
    logical type, ignored) is reported as a ``SchemaWarning``. A run keeps content hashes in
    ``out_dir/.pubsub-gen-cache/`` so that the next one skips what did not change;
    ``cache=False`` neither reads nor writes them.
    """
    from pubsub_gen.config import load_config
    from pubsub_gen.pipeline import run

    config = load_config(
        schemas_dir,
        out=out_dir,
        package=package,
        encoding=encoding,
        topics=topics,
        pyproject=Path(pyproject) if pyproject is not None else None,
        service=service,
    )
    return run(config, version=__version__, check=check, diff=diff, cache=cache)


if not TYPE_CHECKING:  # for mypy, the imports above are the module's namespace

    def __getattr__(name: str) -> Any:
        module = _MODULES.get(name)
        if module is None:
            raise AttributeError(f"module 'pubsub_gen' has no attribute {name!r}")
        from importlib import import_module

        value = getattr(import_module(module), name)
        globals()[name] = value  # the next lookup is a plain one
        return value
