"""Loading the schemas: find, parse and check them, and build the intermediate model.

Every problem of every file is collected before anything is reported, so one run shows them all.
"""

from __future__ import annotations

import json
import keyword
import re
from collections.abc import Callable, Sequence
from pathlib import Path

from pubsub_gen import ir, naming
from pubsub_gen.config import Config, TopicConfig
from pubsub_gen.errors import SchemaError, SchemaProblem
from pubsub_gen.load.avro import read_avro
from pubsub_gen.load.discover import SchemaFile, display_path, find_schema_files, read_schema_file

__all__ = ["json_payload_class", "load_project", "metaschema_problems"]

# Pub/Sub's rule for topic and subscription ids.
_RESOURCE_ID = re.compile(r"[A-Za-z][A-Za-z0-9\-_.~+%]{2,254}")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_EXPORTED = frozenset({"TOPICS"})


def load_project(
    config: Config,
    *,
    metaschema: bool = True,
    wire_only: bool = False,
    on_read: Callable[[Sequence[SchemaFile]], None] | None = None,
) -> ir.Project:
    """The intermediate model of every topic under ``config.schemas``; raises ``SchemaError``.

    ``metaschema=False`` skips the JSON Schema metaschema check (see ``metaschema_problems``):
    a caller that runs it later and finds a problem must load again with it, for the full
    report. ``wire_only=True`` also accepts Avro that is valid but holds no value, so that no
    code can be made for it (an empty union): comparing schemas needs no code. ``on_read`` gets
    the files that parsed, before any of them is checked (a caller that starts work early).
    """
    base = config.display_base
    problems: list[SchemaProblem] = []
    files: list[SchemaFile] = []
    paths = find_schema_files(config.schemas)
    if not paths:
        where = Path(display_path(config.schemas, base))
        raise SchemaError([SchemaProblem(where, "", "no *.avsc or *.json schema files here")])
    for path in paths:
        read = read_schema_file(path, display_path(path, base))
        if isinstance(read, SchemaProblem):
            problems.append(read)
        else:
            files.append(read)
    if on_read is not None:
        on_read(files)
    pyproject = Path(display_path(config.pyproject, base)) if config.pyproject else Path("<flags>")
    stems = {path.stem for path in paths}
    for stem in sorted(set(config.topics) - stems):
        problems.append(
            SchemaProblem(pyproject, f"topics.{stem}", f"no schema file {stem}.avsc or {stem}.json")
        )
    topics: list[ir.Topic] = []
    for schema_file in files:
        topic_config = config.topics.get(schema_file.path.stem, TopicConfig())
        topic = _load_topic(
            schema_file, topic_config, config, pyproject, problems, metaschema, wire_only
        )
        if topic is not None:
            topics.append(topic)
    problems.extend(_collisions(topics, pyproject))
    if problems:
        raise SchemaError(problems)
    return ir.Project(
        package=config.package,
        service=config.service,
        schemas_display=display_path(config.schemas, base),
        topics=tuple(sorted(topics, key=lambda t: t.module)),
    )


def _load_topic(
    schema_file: SchemaFile,
    topic_config: TopicConfig,
    config: Config,
    pyproject: Path,
    problems: list[SchemaProblem],
    metaschema: bool,
    wire_only: bool = False,
) -> ir.Topic | None:
    stem = schema_file.path.stem
    where = Path(schema_file.display_path)
    before = len(problems)
    name = topic_config.topic or stem
    if not _RESOURCE_ID.fullmatch(name) or name.startswith("goog"):
        place = (pyproject, f"topics.{stem}.topic") if topic_config.topic else (where, "")
        problems.append(
            SchemaProblem(
                *place,
                f"{name!r} is not a valid Pub/Sub topic name (3-255 characters: letters, digits, "
                "- _ . ~ + %, starting with a letter, not with 'goog')",
            )
        )
    for subscription in topic_config.subscriptions or ():
        if not _RESOURCE_ID.fullmatch(subscription) or subscription.startswith("goog"):
            problems.append(
                SchemaProblem(
                    pyproject,
                    f"topics.{stem}.subscriptions",
                    f"{subscription!r} is not a valid Pub/Sub subscription name",
                )
            )
    model = topic_config.model
    if model is not None and (not _IDENTIFIER.fullmatch(model) or keyword.iskeyword(model)):
        problems.append(
            SchemaProblem(pyproject, f"topics.{stem}.model", f"{model!r} is not a class name")
        )
    encoding = (topic_config.encoding or config.encoding).upper()
    payload: ir.AvroPayload | ir.JsonSchemaPayload | None = None
    if schema_file.format == "avro":
        avro, avro_problems = read_avro(where, schema_file.document, empty_unions=wire_only)
        problems.extend(avro_problems)
        if avro is not None:
            payload_class = model or naming.avro_payload_class(avro, stem)
            taken = {naming.publisher_name(name)}
            payload = naming.avro_names(avro, payload_class, taken)
        schema_type: ir.SchemaType = "AVRO"
    else:
        schema_type = "JSON_SCHEMA"
        if topic_config.encoding == "binary":
            problems.append(
                SchemaProblem(
                    pyproject, f"topics.{stem}.encoding", "JSON Schema topics are JSON-encoded"
                )
            )
        encoding = "JSON"
        problems.extend(_check_jsonschema(schema_file, metaschema))
        payload = ir.JsonSchemaPayload(schema_file.document)
        payload_class = json_payload_class(schema_file, topic_config)
    if payload is None or len(problems) > before:
        return None
    return ir.Topic(
        stem=stem,
        name=name,
        module=naming.module_name(stem),
        source=schema_file.path,
        display_path=schema_file.display_path,
        schema_type=schema_type,
        encoding="BINARY" if encoding == "BINARY" else "JSON",
        subscriptions=topic_config.subscriptions
        or (naming.default_subscription(config.service, name),),
        definition=json.dumps(schema_file.document),
        payload_class=payload_class,
        publisher_class=naming.publisher_name(name),
        constant=naming.constant_name(name),
        payload=payload,
        options=topic_config.options,
    )


def json_payload_class(schema_file: SchemaFile, topic_config: TopicConfig) -> str:
    """The payload class of a JSON Schema topic: its configured model, else its schema's name."""
    return topic_config.model or naming.json_payload_class(
        schema_file.document, schema_file.path.stem
    )


def _check_jsonschema(schema_file: SchemaFile, metaschema: bool) -> list[SchemaProblem]:
    try:
        from pubsub_gen.load.jsonschema import check_jsonschema
    except ImportError:
        where = Path(schema_file.display_path)
        return [SchemaProblem(where, "", "JSON Schema topics are not supported by this build")]
    return check_jsonschema(schema_file.display_path, schema_file.document, metaschema=metaschema)


def metaschema_problems(project: ir.Project) -> list[SchemaProblem]:
    """What the metaschemas reject in the JSON Schema topics (see ``load_project``)."""
    try:
        from pubsub_gen.load.jsonschema import metaschema_problems as check
    except ImportError:
        return []
    return [
        problem
        for topic in project.topics
        if isinstance(topic.payload, ir.JsonSchemaPayload)
        for problem in check(topic.display_path, topic.payload.document)
    ]


def _collisions(topics: list[ir.Topic], pyproject: Path) -> list[SchemaProblem]:
    """Two topics that would export the same name, share a topic name or a module."""
    problems: list[SchemaProblem] = []
    exported: dict[str, ir.Topic] = {}
    names: dict[str, ir.Topic] = {}
    modules: dict[str, ir.Topic] = {}
    for topic in sorted(topics, key=lambda t: t.display_path):
        where = Path(topic.display_path)
        if topic.name in names:
            other = names[topic.name]
            problems.append(
                SchemaProblem(
                    where,
                    "",
                    f"the topic name {topic.name!r} is also the topic of {other.display_path}; "
                    f"rename one with [tool.pubsub-gen.topics.{topic.stem}] topic = ...",
                )
            )
            continue
        names[topic.name] = topic
        if topic.module in modules:
            other = modules[topic.module]
            problems.append(
                SchemaProblem(
                    where,
                    "",
                    f"generates the module {topic.module!r} like {other.display_path}; "
                    "rename one of the files",
                )
            )
            continue
        modules[topic.module] = topic
        for export, what in ((topic.payload_class, "payload model"), (topic.publisher_class, "")):
            if export in _EXPORTED:
                problems.append(SchemaProblem(where, "", f"{export!r} is a reserved export name"))
            elif export in exported:
                other = exported[export]
                hint = (
                    f'; rename it with [tool.pubsub-gen.topics.{topic.stem}] model = "..."'
                    if what
                    else f"; rename a topic with [tool.pubsub-gen.topics.{topic.stem}] topic = ..."
                )
                problems.append(
                    SchemaProblem(
                        where,
                        "",
                        f"the {what or 'publisher'} {export!r} is also exported by "
                        f"{other.display_path}{hint}",
                    )
                )
            else:
                exported[export] = topic
    return problems
