"""Every name the generator decides, in one place: the rules and how collisions are settled.

- Python names of the payload models: classes, fields (with their wire-name aliases) and enum
  members, for Avro (``avro_names``) and JSON Schema (``json_attributes``, ``json_root_enum``...);
- the topic's module, TopicSpec constant and publisher, and its default subscription;
- the service around it: sample functions, handler functions and modules, test modules and the
  names the generated tests use (``failing_subscription``, ``dead_letter_topic``);
- the registry's schema id (``schema_id``) and the writer-schema constants of earlier revisions.

Wire names (Avro field names, JSON property names, enum symbols) are never changed on the wire:
when a wire name is not a safe Python identifier the generated attribute gets a safe name and
keeps the wire name as its alias. A name already taken gets ``_2``, ``_3``... (``unique``).
"""

from __future__ import annotations

import dataclasses
import keyword
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, RootModel

from pubsub_gen import ir

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


def schema_id(topic: ir.Topic) -> str:
    """The Pub/Sub schema id of an Avro topic: its ``schema_id`` setting, else the topic name."""
    configured = topic.options.get("schema_id")
    return configured if isinstance(configured, str) and configured else topic.name


def writer_schema_constant(fingerprint: str) -> str:
    """The module constant holding an earlier revision's schema text: ``_SCHEMA_<FINGERPRINT>``."""
    return f"_SCHEMA_{fingerprint.upper()}"


# --- the payload models -------------------------------------------------------------------------


def field_attributes(wire_names: Sequence[str]) -> tuple[str, ...]:
    """The attributes of one model's fields, in order: ``attribute_name`` of each, made unique.

    Models accept attribute and wire names: an attribute equal to another field's wire name
    would make ``Model(a=...)`` ambiguous, so that is avoided too.
    """
    attributes: set[str] = set()
    chosen = []
    for wire_name in wire_names:
        avoid = attributes | (set(wire_names) - {wire_name})
        attribute = unique(attribute_name(wire_name), avoid)
        attributes.add(attribute)
        chosen.append(attribute)
    return tuple(chosen)


def enum_members(symbols: Iterable[str]) -> tuple[str, ...]:
    """The members of one enum, in order: ``enum_member_name`` of each, made unique."""
    taken: set[str] = set()
    return tuple(unique(enum_member_name(symbol), taken) for symbol in symbols)


def avro_payload_class(payload: ir.AvroPayload, stem: str) -> str:
    """The payload model's name when no ``model`` is configured: the top-level record's name,
    else (a top-level enum, array, ...) the topic file's stem."""
    root = payload.root
    if isinstance(root, ir.NamedRef):
        named = payload.lookup(root.full_name)
        if isinstance(named, ir.RecordType):
            return class_name(named.name)
    return class_name(stem)


def avro_names(payload: ir.AvroPayload, payload_class: str, taken: set[str]) -> ir.AvroPayload:
    """``payload`` with every Python name filled in; ``taken`` gets the class names used.

    Class names are given in definition order: the top-level record takes ``payload_class``;
    every other record or enum takes its short name in PascalCase; when that is taken (by the
    payload, the publisher, or a type of another namespace defined earlier) its full name in
    PascalCase (``com.b.Item`` -> ``ComBItem``), and then ``_2``, ``_3``... Fields and enum
    members as ``field_attributes`` and ``enum_members`` say.
    """
    root = payload.root
    root_record = None
    if isinstance(root, ir.NamedRef) and isinstance(payload.lookup(root.full_name), ir.RecordType):
        root_record = root.full_name
    taken.add(payload_class)
    named: list[ir.NamedType] = []
    for t in payload.named_types:
        if isinstance(t, ir.FixedType):
            named.append(t)
            continue
        if t.full_name == root_record:
            chosen = payload_class
        else:
            chosen = class_name(t.name)
            if chosen in taken:
                chosen = class_name(pascal_case(t.full_name))
            chosen = unique(chosen, taken)
        if isinstance(t, ir.RecordType):
            attributes = field_attributes([f.wire_name for f in t.fields])
            fields = tuple(
                dataclasses.replace(f, python_name=attribute)
                for f, attribute in zip(t.fields, attributes, strict=True)
            )
            named.append(dataclasses.replace(t, python_name=chosen, fields=fields))
        else:
            members = enum_members(s.wire_name for s in t.symbols)
            symbols = tuple(
                ir.EnumSymbol(s.wire_name, member)
                for s, member in zip(t.symbols, members, strict=True)
            )
            named.append(dataclasses.replace(t, python_name=chosen, symbols=symbols))
    return ir.AvroPayload(root=root, named_types=tuple(named))


def json_payload_class(document: Any, stem: str) -> str:
    """The payload model's name when no ``model`` is configured: the schema's ``title``, else
    the topic file's stem."""
    title = document.get("title") if isinstance(document, dict) else None
    if isinstance(title, str) and pascal_case(title):
        return class_name(title)
    return class_name(stem)


def json_class(definition: str, payload_classes: set[str]) -> str:
    """The class of a JSON Schema definition (``$defs``/``definitions`` key, or ``title``); a
    payload class name of the run is kept as it is."""
    return definition if definition in payload_classes else class_name(definition)


def json_inline_title(title: str, taken: set[str]) -> str | None:
    """The class of an inline object or enum schema with a ``title``: the title in PascalCase,
    unless that is empty or ``taken`` (a definition's class, a payload model, an earlier title);
    records the choice. None: the schema is named like any inline one, after its place.

    An inline schema without a usable title gets ``<Parent><Property>``: the class holding it,
    then the property in PascalCase (``ShipmentDispatched`` / ``class`` ->
    ``ShipmentDispatchedClass``), recursively for nested ones; an array's items take the
    property's singular (``lines`` -> ``OrderLine``). datamodel-code-generator joins those
    names (its ``full-path`` naming strategy) and ``json_class`` makes them safe. Definitions
    and the payload model keep their own names.
    """
    name = class_name(title) if pascal_case(title) else None
    if name is None or name in taken:
        return None
    taken.add(name)
    return name


def json_attributes(wire_names: Iterable[str]) -> dict[str, str]:
    """Attribute name by wire name, for the properties of one JSON Schema document. Wire names
    that sanitise to one name (``+1`` and ``-1``) get distinct ones, numbered in the order of
    the wire names (aliases keep the wire names)."""
    wires = sorted(set(wire_names))
    names = {wire: attribute_name(wire) for wire in wires}
    taken = set(names.values())
    seen: set[str] = set()
    for wire in wires:
        name = names[wire]
        if name in seen:
            n = 2
            while f"{name}_{n}" in taken:
                n += 1
            names[wire] = f"{name}_{n}"
            taken.add(names[wire])
        seen.add(name)
    return names


def json_root_enum(payload_class: str, definitions: Iterable[str]) -> str:
    """The definition a top-level enum moves to (a model must wrap it): ``<Payload>Enum``."""
    return unique(f"{payload_class}Enum", set(definitions))


def json_root_object(payload_class: str) -> str:
    """The class of the object a widened top-level schema becomes: ``<Payload>Object``."""
    return f"{payload_class}Object"


_NUMBERED = re.compile(r"(.+?)([0-9]+)")
# What the library puts after a class name that is taken: a number, or a suffix (``Model``) and
# then a number.
_SUFFIX = re.compile(r"([^0-9]*)[0-9]*")


def json_module_classes(
    classes: Sequence[str],
    definitions: Mapping[str, str],
    within: Mapping[str, str],
    allocations: Sequence[tuple[str, str]],
) -> dict[str, str]:
    """Renames of one module's classes as the library named them (``classes``, in order).

    ``allocations`` are the class names the library asked for and gave the module's models, in
    its order: first the names lose the numbers the batch gave them (``json_own_names``).
    ``definitions`` maps the class of a ``$defs``/``definitions`` entry to the class its key
    asks for (``json_class``): the library's ``full-path`` naming may prefix a definition it
    first meets inside another model (``Address`` -> ``CustomerRegisteredAddress``), and a
    definition takes its own name back when no other class of the module holds it. An inline
    model inside it (``within`` maps it to the definition's class) loses that prefix too
    (``CustomerRegisteredAddressKind`` -> ``AddressKind``). Then the duplicates are numbered as
    ``numbered_duplicates`` says.
    """
    own, asked = json_own_names(allocations)
    renamed = {old: new for old, new in own.items() if old != new}
    mine = {name: own.get(name) or _without_batch_numbers(name, renamed) for name in classes}
    if len(set(mine.values())) < len(mine):  # never two classes of one name
        mine = {name: name for name in classes}
    renames = _module_renames(
        [mine[name] for name in classes],
        {mine.get(name, name): new for name, new in definitions.items()},
        {mine.get(name, name): mine.get(holder, holder) for name, holder in within.items()},
        asked,
    )
    chosen = {name: renames.get(mine[name], mine[name]) for name in classes}
    return {old: new for old, new in chosen.items() if old != new}


def json_own_names(allocations: Sequence[tuple[str, str]]) -> tuple[dict[str, str], set[str]]:
    """The name a run of one module alone gives each class the library named in the batch (by
    the name given), and the names asked for.

    ``allocations``: (the name asked for, the name given) of each class name the library gave a
    model of the module, in its order. The library numbers a name that any topic of the batch
    holds (``Value`` -> ``Value1`` when another topic has a ``Value``), and builds the names of
    the models inside it of that one (``Value1Value1``). Replayed with only the module's own
    names taken, the names asked for lose those numbers, and one the module holds already is
    numbered as the library numbers it (``X1``, ``X2``...; ``XModel``, ``XModel1``...).
    """
    own: dict[str, str] = {}
    renamed: dict[str, str] = {}  # the names of ``own`` that change
    asked: set[str] = set()
    taken: set[str] = set()
    for wanted, given in allocations:
        if given in own:  # the library named a model again (it renames as it goes)
            continue
        mine = _without_batch_numbers(wanted, renamed)
        asked.add(mine)
        suffix = _SUFFIX.fullmatch(given[len(wanted) :]) if given.startswith(wanted) else None
        if suffix is None:  # named otherwise: kept, but built of the module's own names
            name = _without_batch_numbers(given, renamed)
        else:
            name, n = mine, 0
            while name in taken:
                n += 1
                name = f"{mine}{suffix[1]}{n - 1 or ''}" if suffix[1] else f"{mine}{n}"
        taken.add(name)
        own[given] = name
        if name != given:
            renamed[given] = name
    return own, asked


def _without_batch_numbers(name: str, renamed: Mapping[str, str]) -> str:
    """``name`` with the class names it is built of renamed (``renamed``: the library's name ->
    the module's own), whole words only: ``Value1`` in ``Value1Value1``, not in ``Value12`` or
    ``Value1st``."""
    if not renamed:
        return name
    olds = sorted(renamed, key=len, reverse=True)  # the longest name first
    words = re.compile("(?:" + "|".join(map(re.escape, olds)) + ")(?![0-9a-z])")
    return words.sub(lambda match: renamed[match[0]], name)


def _module_renames(
    classes: Sequence[str],
    definitions: Mapping[str, str],
    within: Mapping[str, str],
    asked: set[str],
) -> dict[str, str]:
    """``json_module_classes`` once the names are the module's own."""
    renames: dict[str, str] = {}
    kept = set(classes)

    def rename(name: str, new: str) -> None:
        if new != name and new not in kept:
            renames[name] = new
            kept.discard(name)
            kept.add(new)

    for name in classes:
        if name in definitions:
            rename(name, definitions[name])
    for name in classes:
        holder = within.get(name)
        if holder in renames and name.startswith(holder):
            rename(name, renames[holder] + name[len(holder) :])
    renamed = [renames.get(name, name) for name in classes]
    numbered = numbered_duplicates(renamed, asked)
    for name in classes:
        final = numbered.get(renames.get(name, name), renames.get(name, name))
        renames[name] = final
    return {old: new for old, new in renames.items() if old != new}


def numbered_duplicates(classes: Sequence[str], asked: set[str]) -> dict[str, str]:
    """Renames that number a module's duplicate classes 1, 2... in the module's own order.

    ``classes`` are the module's classes as rendered, ``asked`` the names the schemas gave: a
    name not asked for that is an asked name plus a number is a numbered duplicate. Numbering
    per module keeps a topic's class names when another topic gains a class of the same name.
    """
    numbered = {}
    for name in classes:
        match = _NUMBERED.fullmatch(name)
        if name not in asked and match is not None and match[1] in classes:
            numbered[name] = match[1]
    kept = set(classes) - numbered.keys()
    renames: dict[str, str] = {}
    for name, base in numbered.items():
        n = 1
        while f"{base}{n}" in kept or f"{base}{n}" in renames.values():
            n += 1
        renames[name] = f"{base}{n}"
    return {old: new for old, new in renames.items() if old != new}


# --- the service around the topics ---------------------------------------------------------------


def sample_function(module: str) -> str:
    """The function of ``samples.py`` building a topic's sample message."""
    return f"sample_{module}"


def module_references(modules: Sequence[str]) -> dict[str, str]:
    """How ``samples.py`` refers to each topic module: its name, or ``_<module>`` for all of
    them when a module is named like a sample function (``sample_x`` beside ``x``)."""
    functions = {sample_function(m) for m in modules}
    aliased = any(m in functions for m in modules)
    return {m: f"_{m}" if aliased else m for m in modules}


def sample_part(number: int, taken: set[str]) -> str:
    """The variable holding the ``number``-th part of a sample too deep for one expression."""
    return unique(f"part_{number}", taken)


def handler_functions(subscriptions: Sequence[str], service: str) -> tuple[str, ...]:
    """The handler of each subscription of a topic: ``handle_<subscription>``, without the
    default subscription's ``<service>.`` prefix (so that one is ``handle_<topic>``) and
    without a ``_sub`` suffix; made unique."""
    taken: set[str] = set()
    prefix = default_subscription(service, "")
    functions = []
    for subscription in subscriptions:
        words = snake_case(subscription.removeprefix(prefix) or subscription)
        if words.endswith("_sub") and len(words) > 4:
            words = words[: -len("_sub")]
        functions.append(unique(f"handle_{words}", taken))
    return tuple(functions)


def handler_test(function: str) -> str:
    """The generated test that a handler acks the sample."""
    return f"test_{function}_acks_the_sample"


def handler_module(module: str) -> str:
    """The user's handler module of a topic, inside ``handlers/``."""
    return module


def test_module(module: str) -> str:
    """The user's test module of a topic, inside ``tests/``."""
    return f"test_{module}"


def failing_subscription(topic_name: str) -> str:
    """The subscription of the generated test whose handler always fails."""
    return f"{topic_name}-always-fails"


def dead_letter_topic(topic_name: str) -> str:
    """The dead-letter topic of that test."""
    return f"{topic_name}-dead-letter"
