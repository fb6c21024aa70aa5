"""Step 3: render the intermediate model into Python source files (not yet formatted).

Templates only loop and branch; every type string, literal and import is computed here or in
the helpers beside this module.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import PurePosixPath

import jinja2

from pubsub_gen import ir, naming
from pubsub_gen.format import LINE_LENGTH
from pubsub_gen.output import HEADER_PREFIX, RenderedFile, header
from pubsub_gen.render.avro import avro_models
from pubsub_gen.render.imports import Import, import_lines, member_key
from pubsub_gen.render.jsonschema import json_models as json_model_views
from pubsub_gen.render.literals import py_doc, py_schema, py_str
from pubsub_gen.render.service import common_service_files, topic_service_files
from pubsub_gen.render.views import Models

__all__ = [
    "HEADER_PREFIX",
    "RenderedFile",
    "common_files",
    "json_models_source",
    "topic_files",
    "topic_module",
]

_TOPIC_IMPORTS: frozenset[Import] = frozenset(
    {
        ("__future__", "annotations"),
        ("collections.abc", "Iterable"),
        ("collections.abc", "Mapping"),
        ("pubsub_runtime", "PubSubBroker"),
        ("pubsub_runtime", "TopicSpec"),
    }
)


@functools.cache
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("pubsub_gen.render", "templates"),
        autoescape=False,  # Python source, not HTML: schema text arrives as literals
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        auto_reload=False,  # package files: no look at their times on every use
    )


def _package_dir(project: ir.Project) -> PurePosixPath:
    return PurePosixPath(*project.package.split("."))


def topic_module(
    project: ir.Project,
    topic: ir.Topic,
    json_models: Mapping[str, ir.JsonModels],
) -> RenderedFile:
    """The module of one topic; a JSON Schema topic needs its entry of ``json_models``."""
    source = _render_topic(topic, json_models)
    return RenderedFile(_package_dir(project) / f"{topic.module}.py", source)


def common_files(project: ir.Project) -> list[RenderedFile]:
    """The files that depend on no topic module's source: ``__init__.py``, samples, broker, ..."""
    package_dir = _package_dir(project)
    files = [RenderedFile(package_dir / "__init__.py", _render_package(project))]
    files += [
        RenderedFile(package_dir / path, content, owned_by_tool)
        for path, content, owned_by_tool in common_service_files(project, header, environment())
    ]
    return files


def topic_files(
    project: ir.Project, topic: ir.Topic, json_models: ir.JsonModels | None
) -> list[RenderedFile]:
    """The handler stub and test skeleton of ``topic`` (a JSON Schema topic: with its models)."""
    package_dir = _package_dir(project)
    return [
        RenderedFile(package_dir / path, content, owned_by_tool)
        for path, content, owned_by_tool in topic_service_files(
            topic, environment(), json_models, project.service
        )
    ]


def _models_source(models: Models) -> str:
    template = environment().get_template("models.py.jinja")
    return template.render(classes=models.classes, rebuilds=models.rebuilds).strip()


def json_models_source(models: ir.JsonModels) -> str:
    """The models of one JSON Schema topic as a module of their own (imports, then classes)."""
    views = json_model_views(models)
    imports = "\n".join(import_lines({("__future__", "annotations"), *views.imports}))
    return f"{imports}\n\n\n{_models_source(views)}\n"


def _render_topic(topic: ir.Topic, json_models: Mapping[str, ir.JsonModels]) -> str:
    if isinstance(topic.payload, ir.AvroPayload):
        models = avro_models(topic)
    else:
        models = json_model_views(json_models[topic.module])
    return (
        environment()
        .get_template("topic.py.jinja")
        .render(
            header=header(topic.display_path),
            docstring=py_doc(f"Topic {topic.name}: its payload models, TopicSpec and publisher."),
            imports=import_lines(_TOPIC_IMPORTS | models.imports),
            models=_models_source(models),
            definition=py_schema(topic.definition),
            constant=topic.constant,
            payload_class=topic.payload_class,
            topic_name=py_str(topic.name),
            schema_type=py_str(topic.schema_type),
            encoding=py_str(topic.encoding),
            named_types=[(*entry, _noqa_e501(*entry)) for entry in models.named_types],
            **_revisions(topic),
            publisher_class=topic.publisher_class,
            publisher_doc=py_doc(
                f"Publishes {topic.payload_class} messages to the topic {topic.name}."
            ),
        )
    )


def _noqa_e501(key: str, value: str) -> str:
    """The mark of a ``named_types`` entry (``key: value,`` indented 8 in topic.py.jinja) that no
    formatter can bring within the line length (format.py's ``ruff check --add-noqa`` would add
    it; written here, that call is skipped)."""
    if key.startswith("("):  # a name too long for one literal: split over lines, nothing to mark
        return ""
    width = 8 + len(key) + 2 + len(value) + 1
    return "  # noqa: E501" if key.isascii() and width > LINE_LENGTH else ""


def _revisions(topic: ir.Topic) -> dict[str, list[tuple[str, str]]]:
    """The earlier writer schemas (one constant each) and registry revision ids of a topic."""
    earlier = [r for r in topic.revisions if r.fingerprint != topic.fingerprint]
    constants = [
        (naming.writer_schema_constant(r.fingerprint), py_str(r.definition)) for r in earlier
    ]
    return {
        "writer_constants": constants,
        "writer_schemas": [
            (py_str(r.fingerprint), name) for r, (name, _) in zip(earlier, constants, strict=True)
        ],
        "revision_ids": [
            (py_str(r.revision_id), py_str(r.fingerprint)) for r in topic.revisions if r.revision_id
        ],
    }


def _render_package(project: ir.Project) -> str:
    exports = ["TOPICS"]
    imports: set[Import] = {
        ("__future__", "annotations"),
        ("collections.abc", "Mapping"),
        ("types", "MappingProxyType"),
        ("typing", "Any"),
        ("pubsub_runtime", "TopicSpec"),
    }
    for topic in project.topics:
        exports += [topic.payload_class, topic.publisher_class]
        names = (topic.constant, topic.payload_class, topic.publisher_class)
        imports |= {(f".{topic.module}", name) for name in names}
    return (
        environment()
        .get_template("package_init.py.jinja")
        .render(
            header=header(project.schemas_display),
            docstring=py_doc(f"Typed Pub/Sub topics generated from {project.schemas_display}."),
            imports=import_lines(imports),
            topics=project.topics,
            exports=[py_str(name) for name in sorted(exports, key=member_key)],
        )
    )
