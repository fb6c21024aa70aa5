"""JSON Schema topics: UTF-8 JSON of the model by alias; decoding validates with pydantic.

An optional field (one with a default of ``None``) whose value is ``None`` is left out rather than
written as ``null``: leaving out a property that is not required always validates, while ``null``
is valid only when the schema allows it. Required fields are always written, ``None`` included.
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, RootModel, ValidationError

from pubsub_runtime._errors import DecodeError, EncodeError
from pubsub_runtime._topic import one_line, validation_reason

Exclude = dict[Any, Any]
_SCALARS: tuple[type[Any], ...] = (str, int, float, bool, bytes, type(None))


@functools.cache
def _shape(cls: type[BaseModel]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(optional attributes that default to None, attributes that may hold models)."""
    optional, nested = [], []
    for attr, info in cls.model_fields.items():
        if (
            not info.is_required()
            and info.default is None
            and info.default_factory is None
            and not info.exclude
        ):
            optional.append(attr)
        if _may_hold_model(info.annotation):
            nested.append(attr)
    return tuple(optional), tuple(nested)


def _may_hold_model(annotation: Any) -> bool:
    """False only when no value of ``annotation`` can contain a pydantic model."""
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return False
    if origin is typing.Annotated:
        return _may_hold_model(typing.get_args(annotation)[0])
    if origin is not None:
        return any(_may_hold_model(arg) for arg in typing.get_args(annotation))
    if isinstance(annotation, type):
        if issubclass(annotation, BaseModel):
            return True
        # str-valued enums, dates, UUIDs, decimals...: classes that are neither models nor
        # containers cannot hold models
        return not issubclass(annotation, _SCALARS) and issubclass(annotation, (Mapping, list))
    return annotation is not None  # Any, type variables, forward references: look at values


def _exclusions(value: Any) -> Exclude | None:
    """What to leave out of ``value``'s JSON, as pydantic's nested ``exclude`` argument."""
    if isinstance(value, RootModel):  # pydantic applies a root model's exclude to its content
        return _exclusions(value.root)
    if isinstance(value, BaseModel):
        optional, nested = _shape(type(value))
        spec: Exclude = {attr: True for attr in optional if getattr(value, attr) is None}
        for attr in nested:
            if attr not in spec:
                inner = _exclusions(getattr(value, attr))
                if inner:
                    spec[attr] = inner
        return spec or None
    if isinstance(value, (list, tuple)):
        items = {i: inner for i, item in enumerate(value) if (inner := _exclusions(item))}
        return items or None
    if isinstance(value, Mapping):
        entries = {k: inner for k, item in value.items() if (inner := _exclusions(item))}
        return entries or None
    return None


class JsonSchemaCodec:
    def __init__(self, topic: str, model: type[BaseModel]) -> None:
        self.topic = topic
        self.model = model

    def encode(self, value: Any) -> bytes:
        try:
            instance = value if isinstance(value, self.model) else self.model.model_validate(value)
            text = instance.model_dump_json(by_alias=True, exclude=_exclusions(instance))
        except Exception as exc:
            raise EncodeError(self.topic, one_line(exc)) from exc
        return text.encode()

    def decode(self, data: bytes) -> Any:
        try:
            if isinstance(data, memoryview):
                data = data.tobytes()
            # Strict: JSON Schema types are strict ('10' is not an integer, 'yes' not a bool).
            return self.model.model_validate_json(data, strict=True)
        except ValidationError as exc:
            raise DecodeError(self.topic, validation_reason(exc)) from exc
        except Exception as exc:
            raise DecodeError(self.topic, one_line(exc)) from exc
