"""Helpers of the generator tests: write schema folders, generate, import the result."""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from shared_corpus import shared_path

import pubsub_gen

REPO = Path(__file__).resolve().parents[2]
SCHEMAS = REPO / "schemas"
GOLDEN = REPO / "generated_example"


def conformance_schemas() -> Path:
    """Apache Avro's interop schemas in ../shared (skips with the reason when absent)."""
    return shared_path("conformance", "avro")


def write_schemas(folder: Path, files: Mapping[str, Any]) -> Path:
    """Write ``{"name.avsc": document or raw text}`` into ``folder``; returns it."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        text = content if isinstance(content, str) else json.dumps(content, indent=2)
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def generate(schemas: Path, out: Path, package: str = "events", **options: Any) -> Any:
    return pubsub_gen.generate(schemas, out, package=package, **options)


@contextmanager
def imported(out: Path, package: str) -> Iterator[ModuleType]:
    """Import the generated ``package`` from ``out``; forgets it afterwards."""
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module(package)
    finally:
        sys.path.remove(str(out))
        for name in [n for n in sys.modules if n == package or n.startswith(package + ".")]:
            del sys.modules[name]


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` by relative POSIX path (caches and hidden folders left out)."""
    found = {}
    for path in sorted(folder.rglob("*")):
        parts = path.relative_to(folder).parts
        if path.is_file() and not any(p == "__pycache__" or p.startswith(".") for p in parts):
            found[path.relative_to(folder).as_posix()] = path.read_bytes()
    return found


def record(name: str, *fields: Mapping[str, Any], **extra: Any) -> dict[str, Any]:
    """An Avro record schema."""
    return {"type": "record", "name": name, "fields": list(fields), **extra}


def field(name: str, type_: Any, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": type_, **extra}


@dataclass(frozen=True)
class RenderedModels:
    """The models of one JSON Schema topic rendered alone, as tests import them."""

    source: str
    root_class: str
    class_names: tuple[str, ...]


def render_jsonschema_models(inputs: Sequence[Any]) -> dict[str, RenderedModels]:
    """``load.jsonmodels.jsonschema_models`` (the IR), each topic rendered as a module."""
    from pubsub_gen.load.jsonmodels import jsonschema_models
    from pubsub_gen.render import json_models_source

    return {
        key: RenderedModels(json_models_source(models), models.root_class, models.class_names)
        for key, models in jsonschema_models(inputs).items()
    }
