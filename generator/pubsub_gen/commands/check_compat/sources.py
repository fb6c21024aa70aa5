"""Where the schemas to compare come from: a folder, or the configured folder at a git ref.

Topics are loaded by the generator's own loader (``pubsub_gen.load.load_project``): the same
discovery, validation, topic names, encodings and payload class names as ``pubsub-gen``, so a
topic compares with itself across a rename of its file when its configured topic name stays.
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pubsub_gen import ir
from pubsub_gen.config import Config, load_config
from pubsub_gen.load import load_project
from pubsub_gen.load.discover import find_schema_files

from .gitref import export_at_ref, repository_root
from .model import PythonNames, TopicSchema


def _usable(config: Config) -> Config:
    """Settings for the stems present only: an old folder may lack a topic configured today."""
    stems = {path.stem for path in find_schema_files(config.schemas)}
    return dataclasses.replace(
        config, topics={k: v for k, v in config.topics.items() if k in stems}
    )


def load_topics(config: Config) -> dict[str, TopicSchema]:
    """Every topic of ``config.schemas`` by topic name; raises ``SchemaError`` on bad input."""
    if not config.schemas.is_dir() or not find_schema_files(config.schemas):
        return {}  # e.g. the folder did not exist yet at an old git ref
    project = load_project(_usable(config), wire_only=True)
    return {
        topic.name: TopicSchema(
            name=topic.name,
            schema_type=topic.schema_type,
            document=json.loads(topic.definition),
            source=topic.display_path,
            encoding=topic.encoding if topic.schema_type == "AVRO" else None,
            payload_class=topic.payload_class,
            python_names=_python_names(topic.payload),
        )
        for topic in project.topics
    }


def _python_names(payload: ir.AvroPayload | ir.JsonSchemaPayload) -> PythonNames | None:
    """The class and attribute names the generator gives an Avro topic's types."""
    if not isinstance(payload, ir.AvroPayload):
        return None
    classes: dict[str, str] = {}
    attributes: dict[tuple[str, str], str] = {}
    for named in payload.named_types:
        if isinstance(named, ir.RecordType):
            classes[named.full_name] = named.python_name
            for field in named.fields:
                attributes[(named.full_name, field.wire_name)] = field.python_name
        elif isinstance(named, ir.EnumType):
            classes[named.full_name] = named.python_name
    return PythonNames(classes, attributes)


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
