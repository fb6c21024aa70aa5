"""pubsub-gen: typed Pydantic models, TopicSpecs and publishers from Avro and JSON schemas.

``pubsub_gen.generate(schemas_dir, out_dir, package=...)`` does what ``pubsub-gen`` does.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pubsub_gen.config import ConfigError, load_config
from pubsub_gen.errors import SchemaError, SchemaProblem, SchemaWarning
from pubsub_gen.pipeline import GenerateResult, run
from pubsub_gen.write import OutputError

__version__ = "0.1.0"

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
