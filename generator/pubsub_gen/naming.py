"""Every naming rule of the generator, in one place.

Wire names (Avro field names, JSON property names, enum symbols) are never changed on the wire:
when a wire name is not a safe Python identifier the generated attribute gets a safe name and
keeps the wire name as its alias.
"""

from __future__ import annotations

import keyword
import re
import unicodedata

from pydantic import BaseModel, RootModel

# Names a field of a generated model must not take: BaseModel's own attributes and methods
# (json, schema, copy, dict, model_config, model_dump, ...), plus names used by generated code.
_RESERVED_ATTRIBUTES = frozenset(
    {name for name in dir(BaseModel) if not name.startswith("__")}
    | {name for name in dir(RootModel) if not name.startswith("__")}
    | {"model_config", "model_fields", "self", "cls", "root"}
    # The model metaclass's attributes: pydantic warns when a field shadows them.
    | {"mro", "register"}
)
_BUILTIN_TYPES = frozenset(
    {"bool", "bytes", "dict", "float", "int", "list", "str", "type", "object"}
)
# Class names that would shadow what generated modules import.
_RESERVED_CLASSES = frozenset(
    {
        "BaseModel",
        "ConfigDict",
        "Field",
        "RootModel",
        "StrEnum",
        "Decimal",
        "UUID",
        "Annotated",
        "Any",
        "ClassVar",
        "Literal",
        "TopicSpec",
        "Duration",
        "Message",
        "PubSubBroker",
        "date",
        "datetime",
        "time",
        "timedelta",
        "Optional",
        "Union",
        "AwareDatetime",
        "NaiveDatetime",
        "Iterable",
        "Mapping",
        "MappingProxyType",
    }
)

# Field name prefixes pydantic warns about (its protected namespaces).
_PROTECTED_PREFIXES = ("model_dump", "model_validate")
# Names that linters reject as easy to misread (pycodestyle E741).
_AMBIGUOUS = frozenset({"l", "I", "O"})

_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z0-9])|[A-Z]?[a-z0-9]+|[A-Z]+|[0-9]+")


def _ascii_words(text: str) -> list[str]:
    """Split any text into ASCII word parts (camelCase, dashes, spaces, dots, unicode)."""
    # Keep letters readable: 'café' -> 'cafe'; drop what has no ASCII form.
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _WORD.findall(folded)


def snake_case(text: str) -> str:
    """``orderId`` -> ``order_id``; ``Order-Placed v2`` -> ``order_placed_v2``."""
    return "_".join(word.lower() for word in _ascii_words(text))


def pascal_case(text: str) -> str:
    """``order_placed`` / ``order-placed`` -> ``OrderPlaced``; keeps capitals (``HTTPCode``)."""
    return "".join(word[:1].upper() + word[1:] for word in _ascii_words(text))


def _make_identifier(name: str, fallback: str) -> str:
    if not name:
        name = fallback
    if name[0].isdigit():
        name = f"{fallback}_{name}"
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        name += "_"
    return name


def attribute_name(wire_name: str) -> str:
    """The safe snake_case attribute of a model field whose wire name is ``wire_name``."""
    name = _make_identifier(snake_case(wire_name), "field")
    if name.startswith(_PROTECTED_PREFIXES):
        return "field_" + name
    if (
        name in _RESERVED_ATTRIBUTES
        or name in _BUILTIN_TYPES
        or name in _AMBIGUOUS
        or name.startswith("model_")
    ):
        name += "_"
    # Pydantic treats leading underscores as private attributes.
    return name.lstrip("_") or "field"


def class_name(wire_name: str) -> str:
    """The PascalCase class name of a record, enum or object type named ``wire_name``."""
    name = _make_identifier(pascal_case(wire_name.rsplit(".", 1)[-1]), "Model")
    if name in _RESERVED_CLASSES or name in _AMBIGUOUS:
        name += "Model"
    return name


def enum_member_name(symbol: str) -> str:
    """The member name of an enum symbol: UPPER_SNAKE, made safe."""
    # Upper case never clashes with Enum's own attributes (name, value, ...).
    name = _make_identifier(snake_case(symbol).upper(), "VALUE")
    return name + "_" if name in _AMBIGUOUS else name


# Modules and folders of the generated package that are not topics.
_SERVICE_MODULES = frozenset({"app", "broker", "handlers", "samples", "tests"})


def module_name(stem: str) -> str:
    """The module of a topic's generated code: ``order-placed`` -> ``order_placed``.

    A stem named like one of the package's service modules (``broker``, ``app``...) gets a
    ``_topic`` suffix.
    """
    name = _make_identifier(snake_case(stem), "topic")
    return f"{name}_topic" if name in _SERVICE_MODULES else name


def publisher_name(topic_name: str) -> str:
    """``order_placed``, ``order-placed``, ``orders.placed`` -> ``OrderPlacedPublisher``."""
    # The whole topic name counts (unlike Avro full names, whose namespace is dropped).
    return class_name(topic_name.replace(".", "_")) + "Publisher"


def constant_name(topic_name: str) -> str:
    """The module constant holding a topic's TopicSpec: ``order-placed`` -> ``ORDER_PLACED``.

    Never ``TOPICS``, the package's mapping of every topic, which modules importing both (the
    package and the generated tests) would otherwise see shadowed: ``topics`` -> ``TOPICS_TOPIC``.
    """
    constant = _make_identifier(snake_case(topic_name).upper(), "TOPIC")
    return f"{constant}_TOPIC" if constant == "TOPICS" else constant


def unique(name: str, taken: set[str]) -> str:
    """``name`` or ``name_2``, ``name_3``... whichever is not in ``taken``; records the choice."""
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name}_{n}"
    taken.add(candidate)
    return candidate


def default_subscription(service: str, topic_name: str) -> str:
    """The subscription a topic gets when its table names none: ``<service>.<topic>``.

    One rule for every topic, with the service in it: two services reading the same topic each
    get their own subscription (a shared one would split the messages between them).
    """
    return f"{service}.{topic_name}"
