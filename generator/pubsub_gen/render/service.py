"""The runnable service around the topic modules: samples, broker, handlers, app, tests.

Tool-owned (regenerated): ``samples.py`` (a sample message per topic, following the schemas)
and ``handlers/__init__.py`` (imports every handler module). The user's (written once, when
missing): ``broker.py``, ``app.py``, ``handlers/<topic>.py`` and ``tests/``.
"""

from __future__ import annotations

import textwrap
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

import jinja2

from pubsub_gen import ir, naming
from pubsub_gen.errors import SampleNote
from pubsub_gen.render import flat
from pubsub_gen.render.fields import FieldDoc, payload_fields
from pubsub_gen.render.imports import Import, import_lines, member_key
from pubsub_gen.render.literals import docstring_text, py_doc, py_str, py_str_argument
from pubsub_gen.render.samples_avro import avro_sample
from pubsub_gen.render.samples_json import SampleError, json_sample

USER_NOTE = "# This file is yours: pubsub-gen wrote it once and never overwrites it."
DEFAULT_PROJECT = "local-project"
_WIDTH = 100


@dataclass(frozen=True)
class HandlerView:
    function: str
    test: str  # the generated test that it acks the sample
    alias: str  # literal
    subscription: str  # literal
    docstring: str


@dataclass(frozen=True)
class SampleView:
    function: str
    returns: str
    docstring: str
    statements: tuple[str, ...]  # what the expression needs first (a deep sample's parts)
    expression: str | None
    problem: str | None  # the argument of SampleMissing: why no sample could be built


Header = Callable[[str], str]  # the tool's header line for a source path


def _file(
    environment: jinja2.Environment,
    path: str,
    template: str,
    owned_by_tool: bool,
    **context: object,
) -> tuple[PurePosixPath, str, bool]:
    content = environment.get_template(template).render(user_note=USER_NOTE, **context)
    return PurePosixPath(path), content, owned_by_tool


def common_service_files(
    project: ir.Project, header: Header, environment: jinja2.Environment
) -> list[tuple[PurePosixPath, str, bool]]:
    """The service files that depend on no topic module's source: samples, broker, app, ..."""
    topics = project.topics
    return [
        _file(
            environment,
            "samples.py",
            "samples.py.jinja",
            True,
            header=header(project.schemas_display),
            **_samples_context(topics),
        ),
        _file(
            environment,
            "handlers/__init__.py",
            "handlers_init.py.jinja",
            True,
            header=header(project.schemas_display),
            docstring=py_doc(
                "Every topic's handlers: importing this package registers all their subscribers."
            ),
            imports=import_lines({(".", topic.module) for topic in topics}),
            modules=sorted((topic.module for topic in topics), key=member_key),
        ),
        _file(
            environment,
            "broker.py",
            "broker.py.jinja",
            False,
            default_project=py_str(DEFAULT_PROJECT),
        ),
        _file(environment, "app.py", "app.py.jinja", False, package=project.package),
        _file(environment, "tests/__init__.py", "tests_init.py.jinja", False),
    ]


def topic_service_files(
    topic: ir.Topic,
    environment: jinja2.Environment,
    json_models: ir.JsonModels | None,
    service: str,
) -> list[tuple[PurePosixPath, str, bool]]:
    """The handler stub and test skeleton of one topic (a JSON Schema topic's fields come from
    its models)."""
    fields = payload_fields(topic, json_models)
    common = {
        "topic_name_text": docstring_text(topic.name),
        "module": topic.module,
        "constant": topic.constant,
        "payload_class": topic.payload_class,
        "publisher_class": topic.publisher_class,
        "sample_function": naming.sample_function(topic.module),
        "handlers": _handlers(topic, fields, service),
        "failing_subscription": py_str(naming.failing_subscription(topic.name)),
        "dead_letter_topic": py_str(naming.dead_letter_topic(topic.name)),
    }
    module, sample = f"..{topic.module}", naming.sample_function(topic.module)
    handler_imports: set[Import] = {
        ("logging", None),
        ("..broker", "broker"),
        (module, topic.constant),
        (module, topic.payload_class),
    }
    test_imports: set[Import] = {
        ("pubsub_runtime", "PubSubBroker"),
        ("pubsub_runtime.testing", "TestBroker"),
        ("..", "TOPICS"),
        ("..app", "app"),
        (module, topic.constant),
        (module, topic.payload_class),
        (module, topic.publisher_class),
        ("..samples", sample),
    }
    common["handler_imports"] = import_lines(handler_imports)
    common["test_imports"] = import_lines(test_imports)
    handlers = f"handlers/{naming.handler_module(topic.module)}.py"
    tests = f"tests/{naming.test_module(topic.module)}.py"
    return [
        _file(environment, handlers, "handler.py.jinja", False, **common),
        _file(environment, tests, "test_topic.py.jinja", False, **common),
    ]


def _samples_context(topics: Sequence[ir.Topic]) -> dict[str, object]:
    functions = {naming.sample_function(t.module) for t in topics}
    by_module = naming.module_references([t.module for t in topics])
    imports: set[Import] = {("__future__", "annotations")}
    samples: list[SampleView] = []
    references = set(by_module.values())
    for topic in topics:
        reference = by_module[topic.module]
        aliased = reference != topic.module
        imports.add((".", f"{topic.module} as {reference}" if aliased else topic.module))
        tree, problem = _sample_expression(topic, imports)
        if problem is not None:
            warnings.warn(problem, SampleNote, stacklevel=1)
            imports |= {
                ("pubsub_runtime.testing", "SampleMissing"),
                ("pubsub_runtime.testing", "sample_by_hand"),
            }
        rendered = None
        if tree is not None:
            # Names a sample's parts must not shadow: what samples.py imports and defines.
            taken = references | functions | {"_dt", "Decimal", "UUID", "Duration"}
            rendered = flat.render(tree, taken)
            if aliased:
                rendered = flat.Rendered(
                    tuple(
                        line.replace(f"{topic.module}.", f"{reference}.")
                        for line in rendered.statements
                    ),
                    rendered.expression.replace(f"{topic.module}.", f"{reference}."),
                )
        samples.append(
            SampleView(
                function=naming.sample_function(topic.module),
                returns=f"{reference}.{topic.payload_class}",
                docstring=f'"""A sample {topic.payload_class}, every field set."""',
                statements=rendered.statements if rendered is not None else (),
                expression=rendered.expression if rendered is not None else None,
                problem=py_str_argument(problem) if problem is not None else None,
            )
        )
    return {
        "docstring": py_doc("A sample message per topic, built from its schema: every field set."),
        "imports": import_lines(imports),
        "samples": samples,
    }


# Where a sample pubsub-gen cannot build comes from (documented in docs/generator.md).
_HOOK = (
    "return one from {function}() in samples_by_hand.py beside samples.py "
    "(until then the tests that need it are skipped)"
)


def _sample_expression(
    topic: ir.Topic, imports: set[Import]
) -> tuple[flat.Expr | None, str | None]:
    """(expression, None), or (None, why) when the schema defeats the sample builder."""
    if isinstance(topic.payload, ir.AvroPayload):
        try:
            sample = avro_sample(topic)
        except ValueError as exc:
            hook = _HOOK.format(function=naming.sample_function(topic.module))
            return None, f"{exc}; {hook}"
        imports |= sample.imports
        return sample.expression, None
    try:
        value = json_sample(topic.payload.document)
    except SampleError as exc:
        hook = _HOOK.format(function=naming.sample_function(topic.module))
        return None, f"{topic.display_path}: {exc}; {hook}"
    return flat.call(
        f"{topic.module}.{topic.payload_class}.model_validate", flat.json_value(value)
    ), None


def _handlers(topic: ir.Topic, fields: Sequence[FieldDoc], service: str) -> list[HandlerView]:
    views = []
    functions = naming.handler_functions(topic.subscriptions, service)
    for subscription, function in zip(topic.subscriptions, functions, strict=True):
        views.append(
            HandlerView(
                function=function,
                test=naming.handler_test(function),
                alias=py_str(subscription),
                subscription=py_str(subscription),
                docstring=_handler_docstring(topic.payload_class, subscription, fields),
            )
        )
    return views


def _handler_docstring(payload_class: str, subscription: str, fields: Sequence[FieldDoc]) -> str:
    """The docstring of a handler (indented for a function body): what it gets and its fields."""
    indent, field_indent = " " * 4, " " * 8
    summary = textwrap.wrap(
        docstring_text(f"Handle one {payload_class} message of the subscription {subscription}."),
        width=_WIDTH - len(indent) - 3,
        break_long_words=False,
        break_on_hyphens=False,
    )
    lines = [*summary[:1], *(indent + line for line in summary[1:])]
    lines += [
        "",
        indent + "Return to ack it; raise to nack it (Pub/Sub then delivers it again).",
        "",
    ]
    is_root = len(fields) == 1 and fields[0].name == "root"
    title = f"{payload_class} wraps one value:" if is_root else f"Fields of {payload_class}:"
    lines.append(indent + title)
    for field in fields:
        text = f"{field.name}: {field.type}"
        if field.doc and field.doc.strip():
            text += " -- " + " ".join(field.doc.split())
        wrapped = textwrap.wrap(
            docstring_text(text),
            width=_WIDTH - len(field_indent),
            subsequent_indent=" " * 4,
            break_long_words=False,
            break_on_hyphens=False,
        )
        lines += [field_indent + line for line in wrapped]
    return '"""' + "\n".join(lines) + "\n" + indent + '"""'
