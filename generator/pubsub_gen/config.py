"""Settings: ``[tool.pubsub-gen]`` of the nearest pyproject.toml, overridden by flags.

Paths written in pyproject.toml are relative to its folder; paths given as flags are relative
to the working directory.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ENCODINGS = ("json", "binary")
DEFAULT_PACKAGE = "events"
# Keys a [tool.pubsub-gen.topics.<stem>] table may hold; extend here when topics learn more.
# schema_id: the schema's id in Pub/Sub's registry (push-schemas, asyncapi); default the topic name.
_KNOWN_TOPIC_KEYS = frozenset({"topic", "encoding", "subscriptions", "model", "schema_id"})
TOPIC_KEYS = _KNOWN_TOPIC_KEYS | frozenset()
_SETTINGS_KEYS = frozenset({"schemas", "out", "package", "encoding", "topics", "service"})
_PACKAGE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
# What may start a Pub/Sub subscription id: the service name prefixes the default ones.
_SERVICE = re.compile(r"[A-Za-z][A-Za-z0-9\-_.~+%]*")


class ConfigError(Exception):
    """Unusable settings (a usage error: exit status 2)."""


@dataclass(frozen=True)
class TopicConfig:
    topic: str | None = None
    encoding: str | None = None
    subscriptions: tuple[str, ...] | None = None
    model: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Config:
    schemas: Path
    out: Path
    package: str
    encoding: str = "json"
    topics: Mapping[str, TopicConfig] = field(default_factory=dict)
    # Names the default subscriptions, ``<service>.<topic>`` (see naming.default_subscription).
    service: str = "events"
    # The folder of the pyproject.toml the settings came from (None when there was none).
    root: Path | None = None
    pyproject: Path | None = None
    # The revision lock file: beside the pyproject.toml, else in the current folder.
    lock: Path = Path("pubsub-gen.lock")

    @property
    def display_base(self) -> Path:
        """Schema paths in headers and errors are shown relative to this folder."""
        if self.root is not None and self.schemas.is_relative_to(self.root):
            return self.root
        return self.schemas.parent


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml holding ``[tool.pubsub-gen]``, searching upward from ``start``."""
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            import tomllib  # only now: a no-op run outside any project never needs it

            try:
                data = tomllib.loads(candidate.read_text(encoding="utf-8"))
            except (OSError, tomllib.TOMLDecodeError) as exc:
                raise ConfigError(f"{candidate}: cannot read: {exc}") from exc
            if "pubsub-gen" in data.get("tool", {}):
                return candidate
    return None


def load_config(
    schemas: Path | str | None = None,
    *,
    out: Path | str | None = None,
    package: str | None = None,
    encoding: str | None = None,
    topics: Mapping[str, Mapping[str, Any]] | None = None,
    cwd: Path | None = None,
    pyproject: Path | None = None,
    service: str | None = None,
) -> Config:
    """Settings for one run; explicit arguments win over the pyproject table."""
    cwd = (cwd or Path.cwd()).resolve()
    schemas_path = (cwd / schemas).resolve() if schemas is not None else None
    if pyproject is None:
        start = schemas_path if schemas_path is not None and schemas_path.is_dir() else cwd
        pyproject = find_pyproject(start)
    table: Mapping[str, Any] = {}
    project_name: Any = None
    root: Path | None = None
    if pyproject is not None:
        pyproject = pyproject.resolve()
        root = pyproject.parent
        table, project_name = _read_table(pyproject)
    unknown = sorted(set(table) - _SETTINGS_KEYS)
    if unknown:
        raise ConfigError(f"{pyproject}: [tool.pubsub-gen]: unknown keys {', '.join(unknown)}")

    def setting(key: str) -> Any:
        value = table.get(key)
        if value is not None and not isinstance(value, str):
            raise ConfigError(f"{pyproject}: [tool.pubsub-gen].{key} must be a string")
        return value

    if schemas_path is None:
        configured = setting("schemas")
        if configured is None or root is None:
            raise ConfigError("no schemas folder given and no [tool.pubsub-gen] schemas setting")
        schemas_path = (root / configured).resolve()
    if out is not None:
        out_path = (cwd / out).resolve()
    elif setting("out") is not None and root is not None:
        out_path = (root / setting("out")).resolve()
    else:
        out_path = cwd
    package = package or setting("package") or DEFAULT_PACKAGE
    if not _PACKAGE.fullmatch(package):
        raise ConfigError(f"package {package!r} is not a dotted Python module path")
    encoding = (encoding or setting("encoding") or "json").lower()
    if encoding not in ENCODINGS:
        raise ConfigError(f"encoding must be one of {', '.join(ENCODINGS)}, not {encoding!r}")
    # The service: the setting, else the project's name, else the package's first part.
    if not isinstance(project_name, str):
        project_name = None
    service = service or setting("service") or project_name
    service = service or package.split(".")[0].replace("_", "-")
    if not _SERVICE.fullmatch(service):
        raise ConfigError(
            f"service name {service!r} cannot start a Pub/Sub subscription name (letters, digits, "
            "- _ . ~ + %, starting with a letter): set service in [tool.pubsub-gen]"
        )

    topic_tables: dict[str, Any] = dict(table.get("topics", {}))
    for stem, overrides in (topics or {}).items():
        topic_tables[stem] = {**topic_tables.get(stem, {}), **overrides}
    return Config(
        schemas=schemas_path,
        out=out_path,
        package=package,
        encoding=encoding,
        topics={stem: _topic_config(pyproject, stem, t) for stem, t in topic_tables.items()},
        service=service,
        root=root,
        pyproject=pyproject,
        lock=(root or cwd) / "pubsub-gen.lock",
    )


def _read_table(pyproject: Path) -> tuple[Mapping[str, Any], Any]:
    """``[tool.pubsub-gen]`` and ``[project].name`` (None when absent)."""
    import tomllib

    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{pyproject}: cannot read: {exc}") from exc
    table = data.get("tool", {}).get("pubsub-gen", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{pyproject}: [tool.pubsub-gen] must be a table")
    project = data.get("project", {})
    return table, project.get("name") if isinstance(project, dict) else None


def _topic_config(pyproject: Path | None, stem: str, table: Any) -> TopicConfig:
    where = f"{pyproject}: [tool.pubsub-gen.topics.{stem}]"
    if not isinstance(table, Mapping):
        raise ConfigError(f"{where} must be a table")
    unknown = sorted(set(table) - TOPIC_KEYS)
    if unknown:
        allowed = ", ".join(sorted(TOPIC_KEYS))
        raise ConfigError(f"{where}: unknown keys {', '.join(unknown)} (allowed: {allowed})")
    for key in ("topic", "encoding", "model"):
        if key in table and not isinstance(table[key], str):
            raise ConfigError(f"{where}: {key} must be a string")
    encoding = table.get("encoding")
    if encoding is not None and encoding.lower() not in ENCODINGS:
        raise ConfigError(f"{where}: encoding must be one of {', '.join(ENCODINGS)}")
    subscriptions = table.get("subscriptions")
    if subscriptions is not None and (
        not isinstance(subscriptions, list) or not all(isinstance(s, str) for s in subscriptions)
    ):
        raise ConfigError(f"{where}: subscriptions must be a list of strings")
    return TopicConfig(
        topic=table.get("topic"),
        encoding=encoding.lower() if encoding is not None else None,
        subscriptions=tuple(subscriptions) if subscriptions is not None else None,
        model=table.get("model"),
        options={k: v for k, v in table.items() if k not in _KNOWN_TOPIC_KEYS},
    )
