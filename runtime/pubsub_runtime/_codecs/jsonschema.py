"""JSON Schema topics: the schema decides validity, the model gives the values their types.

Every payload, decoded or encoded, is checked by a compiled, conformant validator
(``jsonschema-rs``) built once from the schema text of the topic; pydantic only builds (or
dumps) the typed model. Formats are asserted (``email``, ``date-time``, ``uuid``...), as the
JSON-Schema-Test-Suite's format tests expect of a validator that checks them.

``encode(decode(x))`` gives back ``x`` as JSON data:

- only the fields a model was given (decoded, or passed when building it) are written, so schema
  defaults are never added to a message that did not carry them, and an explicit ``null`` stays;
- undeclared properties that the schema allows are kept by the model (``extra="allow"``) and
  written again;
- the generator gives string formats the type ``str`` (no re-spelling of dates or UUIDs).

A model built in Python may hold ``None`` in an optional field whose schema does not allow
``null``: when the exact dump is refused, such ``None`` fields are left out, and then defaults
are filled in, before the codec gives up with ``EncodeError`` (the validator's reason).
"""

from __future__ import annotations

import functools
import json
import typing
from collections.abc import Callable, Mapping
from typing import Any

import jsonschema_rs
from pydantic import BaseModel, RootModel, ValidationError
from pydantic_core import from_json, to_json

from pubsub_runtime._errors import DecodeError, EncodeError, one_line, validation_reason

Exclude = dict[Any, Any]
_SCALARS: tuple[type[Any], ...] = (str, int, float, bool, bytes, type(None))

# ``$schema`` (without scheme and trailing '#') -> the validator of that draft. Anything else,
# including the draft-less ``json-schema.org/schema``, is read as the latest draft.
_DRAFTS: dict[str, Callable[..., Any]] = {
    "json-schema.org/draft-04/schema": jsonschema_rs.Draft4Validator,
    "json-schema.org/draft-06/schema": jsonschema_rs.Draft6Validator,
    "json-schema.org/draft-07/schema": jsonschema_rs.Draft7Validator,
    "json-schema.org/draft/2019-09/schema": jsonschema_rs.Draft201909Validator,
    "json-schema.org/draft/2020-12/schema": jsonschema_rs.Draft202012Validator,
}


def compile_validator(schema: Any) -> Any:
    """The ``jsonschema-rs`` validator of ``schema`` (parsed JSON), formats asserted.

    Offline: a reference outside the schema is an error, never a network fetch.
    """
    uri = schema.get("$schema") if isinstance(schema, dict) else None
    key = uri.split("://", 1)[-1].rstrip("#") if isinstance(uri, str) else ""
    validator_class = _DRAFTS.get(key, jsonschema_rs.Draft202012Validator)
    return validator_class(schema, validate_formats=True, offline=True)


def schema_reason(validator: Any, instance: Any) -> str:
    """``pointer: message`` of the first problem the validator finds in ``instance``."""
    for error in validator.iter_errors(instance):
        where = "/" + "/".join(str(part) for part in error.instance_path)
        message = " ".join(str(error.message).split())
        if len(message) > 200:
            message = message[:199] + "…"
        return f"{where}: {message}"
    return "rejected by the schema"


@functools.cache
def _optional(cls: type[BaseModel]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(optional attributes that default to None, attributes that may hold models)."""
    optional, nested = [], []
    for attr, info in cls.model_fields.items():
        if not info.is_required() and info.default is None and info.default_factory is None:
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
        return not issubclass(annotation, _SCALARS) and issubclass(annotation, (Mapping, list))
    return annotation is not None  # Any, type variables, forward references: look at values


def _none_fields(value: Any) -> Exclude | None:
    """The optional fields holding ``None``, as pydantic's nested ``exclude`` argument.

    Reads the instance ``__dict__``: ``getattr`` would warn for fields marked deprecated.
    """
    if isinstance(value, RootModel):  # pydantic applies a root model's exclude to its content
        return _none_fields(value.root)
    if isinstance(value, BaseModel):
        optional, nested = _optional(type(value))
        fields = value.__dict__
        spec: Exclude = {attr: True for attr in optional if fields.get(attr) is None}
        for attr in nested:
            if attr not in spec and (inner := _none_fields(fields.get(attr))):
                spec[attr] = inner
        return spec or None
    if isinstance(value, list | tuple):
        items = {i: inner for i, item in enumerate(value) if (inner := _none_fields(item))}
        return items or None
    if isinstance(value, Mapping):
        entries = {k: inner for k, item in value.items() if (inner := _none_fields(item))}
        return entries or None
    return None


class JsonSchemaCodec:
    """Validate with the schema, type with the model; see the module docstring."""

    def __init__(self, topic: str, model: type[BaseModel], definition: str) -> None:
        self.topic = topic
        self.model = model
        self.validator = compile_validator(json.loads(definition))
        # Bound once: decode runs per message.
        self._is_valid = self.validator.is_valid
        self._build = model.model_validate

    def encode(self, value: Any) -> bytes:
        # Serializer warnings are off: a wrongly typed value (a mutated model) is dumped as it
        # is and the validator refuses it with its reason.
        try:
            instance = value if isinstance(value, self.model) else self.model.model_validate(value)
            data = instance.model_dump(
                mode="json", by_alias=True, exclude_unset=True, warnings=False
            )
            if not self.validator.is_valid(data):
                data = self._fallback(instance, data)
            return to_json(data)
        except EncodeError:
            raise
        except Exception as exc:
            raise EncodeError(self.topic, one_line(exc)) from exc

    def _fallback(self, instance: BaseModel, exact: Any) -> Any:
        """A dump the schema accepts without ``None`` optionals (then with defaults), or raise."""
        exclude = _none_fields(instance)
        for unset in (True, False):
            data = instance.model_dump(
                mode="json", by_alias=True, exclude_unset=unset, exclude=exclude, warnings=False
            )
            if self.validator.is_valid(data):
                return data
        raise EncodeError(self.topic, schema_reason(self.validator, exact))

    def decode(self, data: bytes, *, attributes: Mapping[str, str] | None = None) -> Any:
        # ``attributes`` (the message's) do not change how a JSON Schema payload reads.
        if isinstance(data, memoryview):
            data = data.tobytes()
        try:
            document = from_json(data, allow_inf_nan=False)
        except ValueError as exc:
            raise DecodeError(self.topic, f"malformed JSON: {one_line(exc)}") from exc
        if not self._is_valid(document):
            raise DecodeError(self.topic, schema_reason(self.validator, document))
        try:
            return self._build(document)
        except ValidationError as exc:  # the schema accepts it: the model is narrower (a bug)
            reason = "the schema accepts the payload but the model cannot hold it: "
            reason += validation_reason(exc)
            raise DecodeError(self.topic, reason) from exc
        except Exception as exc:
            raise DecodeError(self.topic, one_line(exc)) from exc
