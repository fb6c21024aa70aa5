"""Find the schema files of a folder and read each as JSON, with precise syntax errors.

``.avsc`` files may hold ``//`` and ``/* */`` comments, as Avro's Java parser (and so Pub/Sub's
schema registry) accepts. A document nested deeper than ``MAX_DEPTH`` is refused here, before
any recursive step (reading, the metaschema check, rendering) meets it: every part of the
pipeline, the generated code and the runtime's codecs handle that depth, with room to spare
(measured limits: see ``tests/generator/test_deep_schemas.py``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pubsub_gen.errors import SchemaProblem

SchemaFormat = Literal["avro", "jsonschema"]
SUFFIXES: Mapping[str, SchemaFormat] = {".avsc": "avro", ".json": "jsonschema"}

# Keywords that only JSON Schema uses; an Avro schema never holds them.
_JSON_SCHEMA_MARKERS = frozenset(
    {"$schema", "$ref", "$defs", "definitions", "properties", "allOf", "anyOf", "oneOf", "const"}
)
_JSON_SCHEMA_TYPES = frozenset(
    {"object", "array", "string", "integer", "number", "boolean", "null"}
)
_AVRO_NAMED = frozenset({"record", "error", "enum", "fixed"})

# Levels of JSON objects and arrays a schema document may nest. The tightest limits found
# beyond it: about 150 nested arrays make an annotation Python's parser refuses (200 brackets),
# and about 320 nested records (960 levels) exhaust the interpreter's recursion.
MAX_DEPTH = 128
# A string (kept), a // comment, a /* */ comment, or an unterminated /*.
_COMMENT_OR_STRING = re.compile(r'("(?:[^"\\]|\\.)*")|//[^\n]*|/\*.*?\*/|/\*', re.DOTALL)


@dataclass(frozen=True)
class SchemaFile:
    path: Path
    display_path: str
    format: SchemaFormat
    document: Any  # the parsed JSON


def find_schema_files(schemas_dir: Path) -> list[Path]:
    """Every ``*.avsc`` and ``*.json`` file under ``schemas_dir`` (not in hidden folders)."""
    found = [
        path
        for path in schemas_dir.rglob("*")
        if path.suffix in SUFFIXES
        and path.is_file()
        and not any(part.startswith(".") for part in path.relative_to(schemas_dir).parts)
    ]
    return sorted(found, key=lambda p: p.relative_to(schemas_dir).as_posix())


def display_path(path: Path, base: Path) -> str:
    """``path`` relative to ``base`` in POSIX form, so output does not depend on the machine."""
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return path.as_posix()


def read_schema_file(path: Path, shown: str) -> SchemaFile | SchemaProblem:
    """Parse one file; a syntax error or a document of the wrong kind is a problem."""
    where = Path(shown)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return SchemaProblem(where, "", f"cannot read the file: {exc}")
    schema_format = SUFFIXES[path.suffix]
    too_deep = SchemaProblem(
        where,
        "",
        f"nested deeper than {MAX_DEPTH} levels of objects and arrays, the most pubsub-gen reads",
    )
    try:
        try:
            document = json.loads(text)
        except json.JSONDecodeError:
            if schema_format != "avro" or "/" not in text:
                raise
            document = json.loads(without_comments(text))
    except json.JSONDecodeError as exc:
        return SchemaProblem(
            where, "", f"malformed JSON at line {exc.lineno}:{exc.colno}: {exc.msg}"
        )
    except RecursionError:
        return too_deep
    if nesting_depth(document) > MAX_DEPTH:
        return too_deep
    problem = _wrong_kind(schema_format, document)
    if problem is not None:
        return SchemaProblem(where, "", problem)
    return SchemaFile(path, shown, schema_format, document)


def without_comments(text: str) -> str:
    """``text`` with its ``//`` and ``/* */`` comments (outside strings) blanked out.

    Spaces replace them and their line breaks stay, so errors keep their line and column; an
    unterminated ``/*`` raises ``JSONDecodeError`` where it starts.
    """

    def blank(match: re.Match[str]) -> str:
        comment = match.group(0)
        if match.group(1) is not None:
            return comment  # a string
        if comment == "/*":  # no */ after it: the comment alternative did not match
            raise json.JSONDecodeError("unterminated /* comment", text, match.start())
        return re.sub(r"[^\n]", " ", comment)

    return _COMMENT_OR_STRING.sub(blank, text)


def nesting_depth(document: Any) -> int:
    """How many levels of objects and arrays ``document`` nests (0 for a scalar)."""
    deepest = 0
    pending = [(document, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        deepest = max(deepest, depth)
        pending.extend((child, depth + 1) for child in children)
    return deepest


def _looks_like_json_schema(document: Any) -> bool:
    if not isinstance(document, dict):
        return isinstance(document, bool)  # true/false are JSON Schemas too
    if _JSON_SCHEMA_MARKERS & document.keys():
        return True
    kind = document.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    return bool(kinds) and all(isinstance(k, str) and k in _JSON_SCHEMA_TYPES for k in kinds)


def _looks_like_avro(document: Any) -> bool:
    if isinstance(document, str | list):
        return True
    return (
        isinstance(document, dict)
        and isinstance(document.get("type"), str)  # a JSON Schema type may be a list
        and document.get("type") in _AVRO_NAMED
        and ("name" in document or "fields" in document or "symbols" in document)
    )


def _wrong_kind(schema_format: SchemaFormat, document: Any) -> str | None:
    if schema_format == "avro":
        if isinstance(document, dict) and _JSON_SCHEMA_MARKERS & document.keys():
            return "this is a JSON Schema, not an Avro schema: name the file *.json"
        if not isinstance(document, dict | list | str):
            return "not an Avro schema: expected a JSON object, array or string"
        return None
    if _looks_like_avro(document):
        return "this is an Avro schema, not a JSON Schema: name the file *.avsc"
    if not _looks_like_json_schema(document):
        return (
            "neither an Avro schema nor a JSON Schema "
            "(a JSON Schema has $schema, type, properties, $ref, ...)"
        )
    return None
