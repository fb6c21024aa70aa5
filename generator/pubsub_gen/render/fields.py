"""The fields of a generated payload model, read back from its rendered source.

Handler docstrings list them. Reading the source treats Avro and JSON Schema topics alike
(JSON Schema models come from datamodel-code-generator, not from the intermediate model).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass


@dataclass(frozen=True)
class FieldDoc:
    name: str
    type: str  # the annotation without Annotated[...] metadata
    doc: str | None


def payload_fields(source: str, class_name: str) -> tuple[FieldDoc, ...]:
    """The fields of ``class_name`` in ``source``, inherited ones first (``root``: a RootModel)."""
    classes = {node.name: node for node in ast.parse(source).body if isinstance(node, ast.ClassDef)}
    return tuple(_fields(classes, class_name, set()))


def _fields(classes: dict[str, ast.ClassDef], name: str, seen: set[str]) -> list[FieldDoc]:
    node = classes.get(name)
    if node is None or name in seen:
        return []
    seen.add(name)
    found: list[FieldDoc] = []
    root: FieldDoc | None = None
    for base in node.bases:
        if isinstance(base, ast.Name):
            found += _fields(classes, base.id, seen)
        elif (
            isinstance(base, ast.Subscript)
            and isinstance(base.value, ast.Name)
            and base.value.id == "RootModel"
        ):
            root = FieldDoc("root", _type_text(base.slice), None)
    for statement in node.body:
        if not isinstance(statement, ast.AnnAssign) or not isinstance(statement.target, ast.Name):
            continue
        attribute = statement.target.id
        if attribute == "model_config" or _is_classvar(statement.annotation):
            continue
        doc = _description(statement.annotation) or _description(statement.value)
        field = FieldDoc(attribute, _type_text(statement.annotation), doc)
        if attribute == "root":
            root = field
        else:
            found = [f for f in found if f.name != attribute] + [field]
    return [root] if root is not None else found


def _is_classvar(annotation: ast.expr) -> bool:
    target = annotation.value if isinstance(annotation, ast.Subscript) else annotation
    return isinstance(target, ast.Name) and target.id == "ClassVar"


class _Plain(ast.NodeTransformer):
    """``Annotated[X, ...]`` -> ``X``; ``_dt.date`` -> ``date``."""

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        if isinstance(node.value, ast.Name) and node.value.id == "Annotated":
            inner = node.slice.elts[0] if isinstance(node.slice, ast.Tuple) else node.slice
            plain: ast.AST = self.visit(inner)
            return plain
        return self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        if isinstance(node.value, ast.Name) and node.value.id == "_dt":
            return ast.Name(node.attr, ast.Load())
        return self.generic_visit(node)


def _type_text(annotation: ast.expr) -> str:
    return ast.unparse(_Plain().visit(annotation))


def _description(node: ast.expr | None) -> str | None:
    """The ``description=`` of a ``Field(...)`` call anywhere inside ``node``."""
    if node is None:
        return None
    for call in ast.walk(node):
        if (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Name)
            and call.func.id == "Field"
        ):
            for keyword in call.keywords:
                value = keyword.value
                if (
                    keyword.arg == "description"
                    and isinstance(value, ast.Constant)
                    and isinstance(value.value, str)
                ):
                    return value.value
    return None
