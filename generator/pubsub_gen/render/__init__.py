"""Step 3: render the intermediate model into Python source files (not yet formatted).

Templates only loop and branch; every type string, literal and import is computed here or in
the helpers beside this module.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

import jinja2

from pubsub_gen import ir, naming
from pubsub_gen.output import HEADER_PREFIX, RenderedFile, header
from pubsub_gen.render.avro import avro_models
from pubsub_gen.render.literals import py_doc, py_str
from pubsub_gen.render.pytypes import Import, render_imports
from pubsub_gen.render.service import common_service_files, topic_service_files

if TYPE_CHECKING:
    from pubsub_gen.load.jsonschema import JsonSchemaInput, JsonSchemaModels

__all__ = [
    "HEADER_PREFIX",
    "RenderedFile",
    "TopicModule",
    "common_files",
    "json_inputs",
    "json_model_parts",
    "topic_files",
    "topic_module",
]

_TOPIC_IMPORTS: frozenset[Import] = frozenset(
    {
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
    )


def _package_dir(project: ir.Project) -> PurePosixPath:
    return PurePosixPath(*project.package.split("."))


@dataclass(frozen=True)
class TopicModule:
    file: RenderedFile
    models: str  # the payload model classes inside it, as rendered (what ``topic_files`` reads)


def topic_module(
    project: ir.Project,
    topic: ir.Topic,
    json_models: Mapping[str, tuple[str, str]],
) -> TopicModule:
    """The module of one topic; a JSON Schema topic needs its entry of ``json_models``."""
    source, models = _render_topic(topic, json_models)
    return TopicModule(RenderedFile(_package_dir(project) / f"{topic.module}.py", source), models)


def common_files(project: ir.Project) -> list[RenderedFile]:
    """The files that depend on no topic module's source: ``__init__.py``, samples, broker, ..."""
    package_dir = _package_dir(project)
    files = [RenderedFile(package_dir / "__init__.py", _render_package(project))]
    files += [
        RenderedFile(package_dir / path, content, owned_by_tool)
        for path, content, owned_by_tool in common_service_files(project, header, environment())
    ]
    return files


def topic_files(project: ir.Project, topic: ir.Topic, models: str) -> list[RenderedFile]:
    """The handler stub and test skeleton of ``topic``; ``models``: ``TopicModule.models``."""
    package_dir = _package_dir(project)
    return [
        RenderedFile(package_dir / path, content, owned_by_tool)
        for path, content, owned_by_tool in topic_service_files(
            topic, environment(), models, project.service
        )
    ]


def _render_topic(topic: ir.Topic, json_models: Mapping[str, tuple[str, str]]) -> tuple[str, str]:
    """(the module's source, its model classes)."""
    imports = set(_TOPIC_IMPORTS)
    named_types: tuple[tuple[str, str], ...] = ()
    if isinstance(topic.payload, ir.AvroPayload):
        models = avro_models(topic)
        imports |= models.imports
        named_types = models.named_types
        models_source = (
            environment()
            .get_template("avro_models.py.jinja")
            .render(
                enums=models.enums,
                records=models.records,
                root_model=models.root_model,
                rebuilds=models.rebuilds,
            )
        )
        import_lines = render_imports(imports)
    else:
        json_imports, models_source = json_models[topic.module]
        import_lines = [*render_imports(imports), json_imports]
    model_classes = models_source.strip()
    source = (
        environment()
        .get_template("topic.py.jinja")
        .render(
            header=header(topic.display_path),
            docstring=py_doc(f"Topic {topic.name}: its payload models, TopicSpec and publisher."),
            imports=import_lines,
            models=model_classes,
            definition=py_str(topic.definition),
            constant=topic.constant,
            payload_class=topic.payload_class,
            topic_name=py_str(topic.name),
            schema_type=py_str(topic.schema_type),
            encoding=py_str(topic.encoding),
            named_types=named_types,
            **_revisions(topic),
            publisher_class=topic.publisher_class,
            publisher_doc=py_doc(
                f"Publishes {topic.payload_class} messages to the topic {topic.name}."
            ),
        )
    )
    return source, model_classes


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
    for topic in project.topics:
        exports += [topic.payload_class, topic.publisher_class]
    return (
        environment()
        .get_template("package_init.py.jinja")
        .render(
            header=header(project.schemas_display),
            docstring=py_doc(f"Typed Pub/Sub topics generated from {project.schemas_display}."),
            topics=project.topics,
            exports=[py_str(name) for name in sorted(exports)],
        )
    )


def json_inputs(project: ir.Project) -> list[JsonSchemaInput]:
    """What the JSON Schema renderer needs of every JSON Schema topic, in topic order."""
    from pubsub_gen.load.jsonschema import JsonSchemaInput

    inputs = []
    for topic in project.topics:
        if isinstance(topic.payload, ir.JsonSchemaPayload):
            inputs.append(
                JsonSchemaInput(
                    key=topic.module,
                    path=topic.source,
                    display_path=topic.display_path,
                    document=topic.payload.document,
                    root_class=topic.payload_class,
                )
            )
    return inputs


def json_model_parts(
    rendered: Mapping[str, JsonSchemaModels],
) -> dict[str, tuple[str, str]]:
    """module -> (import lines, model classes), as ``topic_module`` takes them."""
    return {key: split_imports(models.source) for key, models in rendered.items()}


def split_imports(source: str) -> tuple[str, str]:
    """(the leading imports without ``__future__`` ones, the rest) of a module's source."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    end = 0
    imports: list[str] = []
    for node in tree.body:
        is_docstring = (
            isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and end == 0
        )
        if not isinstance(node, ast.Import | ast.ImportFrom) and not is_docstring:
            break
        assert node.end_lineno is not None
        text = "".join(lines[node.lineno - 1 : node.end_lineno])
        is_future = isinstance(node, ast.ImportFrom) and node.module == "__future__"
        if isinstance(node, ast.Import | ast.ImportFrom) and not is_future:
            imports.append(text)
        end = node.end_lineno
    return "".join(imports).strip(), "".join(lines[end:])
