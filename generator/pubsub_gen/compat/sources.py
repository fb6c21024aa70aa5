"""Where the schemas to compare come from: a folder, or the configured folder at a git ref.

Topics are found and named the way the generator does it (``pubsub_gen.config`` for names and
encodings, ``pubsub_gen.load`` for discovery and parsing), so a topic compares with itself
across a rename of its file when the configured topic name stays.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pubsub_gen.config import Config, load_config
from pubsub_gen.errors import SchemaError, SchemaProblem
from pubsub_gen.load.avro import read_avro
from pubsub_gen.load.discover import SchemaFile, display_path, find_schema_files, read_schema_file
from pubsub_gen.load.names import default_payload_class
from pubsub_gen.naming import class_name

from .gitref import export_at_ref, repository_root
from .model import TopicSchema


def _topic(config: Config, schema: SchemaFile) -> tuple[TopicSchema | None, list[SchemaProblem]]:
    stem = schema.path.stem
    settings = config.topics.get(stem)
    name = (settings.topic if settings else None) or stem
    configured_class = settings.model if settings else None
    if schema.format == "jsonschema":
        payload_class = configured_class or class_name(stem)
        topic = TopicSchema(
            name, "JSON_SCHEMA", schema.document, schema.display_path, None, payload_class
        )
        return topic, []
    payload, problems = read_avro(Path(schema.display_path), schema.document)
    if payload is None or problems:
        return None, list(problems)
    encoding = ((settings.encoding if settings else None) or config.encoding).upper()
    payload_class = configured_class or default_payload_class(payload, stem)
    return (
        TopicSchema(name, "AVRO", schema.document, schema.display_path, encoding, payload_class),
        [],
    )


def load_topics(config: Config) -> dict[str, TopicSchema]:
    """Every topic of ``config.schemas`` by topic name; raises ``SchemaError`` on bad input."""
    topics: dict[str, TopicSchema] = {}
    problems: list[SchemaProblem] = []
    if not config.schemas.is_dir():
        return topics
    for path in find_schema_files(config.schemas):
        read = read_schema_file(path, display_path(path, config.display_base))
        if isinstance(read, SchemaProblem):
            problems.append(read)
            continue
        topic, found = _topic(config, read)
        problems.extend(found)
        if topic is None:
            continue
        if topic.name in topics:
            problems.append(
                SchemaProblem(
                    Path(read.display_path),
                    "",
                    f"topic {topic.name!r} is also defined by {topics[topic.name].source}",
                )
            )
            continue
        topics[topic.name] = topic
    if problems:
        raise SchemaError(problems)
    return topics


def load_folder(folder: Path) -> dict[str, TopicSchema]:
    """The topics of a schemas folder, configured by the pyproject.toml nearest to it."""
    return load_topics(load_config(folder))


@contextmanager
def topics_at_ref(ref: str, config: Config) -> Iterator[dict[str, TopicSchema]]:
    """The configured schemas folder as it was at ``ref``, with that ref's topic settings."""
    wanted = [config.schemas] + ([config.pyproject] if config.pyproject else [])
    with tempfile.TemporaryDirectory(prefix="pubsub-gen-ref-") as tmp:
        root = repository_root(config.schemas)
        export_at_ref(ref, wanted, Path(tmp))
        schemas = Path(tmp) / config.schemas.resolve().relative_to(root)
        pyproject = (
            Path(tmp) / config.pyproject.resolve().relative_to(root) if config.pyproject else None
        )
        if pyproject is None or not pyproject.is_file():
            # No settings at that ref: plain defaults (stems as topic names).
            pyproject = Path(tmp) / "pubsub-gen-defaults.toml"
            pyproject.write_text("[tool.pubsub-gen]\n", encoding="utf-8")
        old = load_config(schemas, pyproject=pyproject)
        yield load_topics(old)
