"""Avro codecs, feature by feature: binary is fastavro's bytes, JSON is fastavro's Avro JSON.

Each case is a schema, hand-written models shaped like pubsub-gen's output, and samples: a model
instance beside the same record as fastavro takes it (unions that fastavro would have to guess
are in its tuple notation). ``test_codec_avro_emulator`` sends the same samples to Pub/Sub.
"""

from __future__ import annotations

import datetime as dt
import enum
import io
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

import fastavro
import pytest
from fastavro.json_write import json_writer
from pydantic import BaseModel, ConfigDict, Field, RootModel
from shared_corpus import shared_path

from pubsub_runtime import Duration, TopicSpec

UTC = dt.UTC


class Avro(BaseModel):
    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True)


@dataclass(frozen=True)
class SharedSchema:
    """One of Apache Avro's interop schemas in ../shared/conformance/avro, read only when a test
    uses it: a fresh clone without the folder still collects, and these cases skip with the reason.
    """

    name: str

    def load(self) -> Any:
        return json.loads(shared_path("conformance", "avro", self.name).read_text())


@dataclass
class Case:
    id: str
    source: Any  # the schema, or a SharedSchema read on first use
    model: type[BaseModel]
    named: dict[str, type[Any]]
    samples: list[tuple[BaseModel, Any]]  # (model instance, the same record for fastavro)
    recursive: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def schema(self) -> Any:
        return self.source.load() if isinstance(self.source, SharedSchema) else self.source

    def spec(self, encoding: str) -> TopicSpec[Any]:
        return TopicSpec(
            name=self.id,
            model=self.model,
            schema_type="AVRO",
            encoding=encoding,
            definition=json.dumps(self.schema),
            named_types=self.named,
        )


def record(name: str, *fields: tuple[str, Any]) -> dict[str, Any]:
    return {"type": "record", "name": name, "fields": [{"name": n, "type": t} for n, t in fields]}


# -- primitives -------------------------------------------------------------------------------


class Primitives(Avro):
    n: None
    b: bool
    i: int
    l: int  # noqa: E741
    f: float
    d: float
    by: bytes
    s: str


PRIMITIVES = record(
    "Primitives",
    ("n", "null"),
    ("b", "boolean"),
    ("i", "int"),
    ("l", "long"),
    ("f", "float"),
    ("d", "double"),
    ("by", "bytes"),
    ("s", "string"),
)


def _primitives(**values: Any) -> tuple[BaseModel, Any]:
    return Primitives(**values), dict(values)


# -- nested records, arrays, maps ----------------------------------------------------------------


class Address(Avro):
    street: str
    zip_code: str = Field(alias="zipCode")


class Customer(Avro):
    name: str
    address: Address


class Item(Avro):
    sku: str
    qty: int
    price: float


class Order(Avro):
    id: str
    customer: Customer
    items: list[Item]
    labels: dict[str, str]
    by_sku: dict[str, Item] = Field(alias="bySku")
    matrix: list[list[int]]


ORDER = {
    "type": "record",
    "name": "Order",
    "namespace": "com.example",
    "fields": [
        {"name": "id", "type": "string"},
        {
            "name": "customer",
            "type": record(
                "Customer",
                ("name", "string"),
                ("address", record("Address", ("street", "string"), ("zipCode", "string"))),
            ),
        },
        {
            "name": "items",
            "type": {
                "type": "array",
                "items": record("Item", ("sku", "string"), ("qty", "int"), ("price", "double")),
            },
        },
        {"name": "labels", "type": {"type": "map", "values": "string"}},
        {"name": "bySku", "type": {"type": "map", "values": "Item"}},
        {"name": "matrix", "type": {"type": "array", "items": {"type": "array", "items": "int"}}},
    ],
}
_ITEM = {"sku": "A-1", "qty": 2, "price": 9.99}
_ORDER_DATUM = {
    "id": "o-1",
    "customer": {"name": "Ada", "address": {"street": "1 Loop", "zipCode": "01010"}},
    "items": [_ITEM, {"sku": "B-2", "qty": 1, "price": 0.5}],
    "labels": {"gift": "yes", "with space": "ü"},
    "bySku": {"A-1": _ITEM},
    "matrix": [[1, 2], [], [3]],
}

# -- enums -------------------------------------------------------------------------------------


class Status(enum.StrEnum):
    NEW = "NEW"
    PAID = "PAID"
    SHIPPED = "SHIPPED"


class Enums(Avro):
    status: Status
    previous: Status | None
    label_or_status: str | Status = Field(alias="labelOrStatus")
    history: list[Status]


ENUMS = {
    "type": "record",
    "name": "Enums",
    "namespace": "shop",
    "fields": [
        {
            "name": "status",
            "type": {
                "type": "enum",
                "name": "Status",
                "symbols": ["NEW", "PAID", "SHIPPED"],
                "default": "NEW",
            },
        },
        {"name": "previous", "type": ["null", "Status"], "default": None},
        {"name": "labelOrStatus", "type": ["string", "Status"]},
        {"name": "history", "type": {"type": "array", "items": "Status"}},
    ],
}

# -- fixed -------------------------------------------------------------------------------------

MD5 = Annotated[bytes, Field(min_length=16, max_length=16)]


class Fixed(Avro):
    digest: MD5
    maybe: MD5 | None
    either: bytes


FIXED = record(
    "Fixed",
    ("digest", {"type": "fixed", "name": "MD5", "size": 16}),
    ("maybe", ["null", "MD5"]),
    ("either", ["bytes", "MD5"]),
)

# -- unions ------------------------------------------------------------------------------------


class A(Avro):
    x: int


class B(Avro):
    x: int


class Unions(Avro):
    pick: A | B | None
    many: int | str | A | list[A] | dict[str, B]
    text: str | None
    text_first: str | None = Field(alias="textFirst")
    number: int | float


UNIONS = {
    "type": "record",
    "name": "Unions",
    "namespace": "u",
    "fields": [
        {"name": "pick", "type": ["null", record("A", ("x", "int")), record("B", ("x", "int"))]},
        {
            "name": "many",
            "type": [
                "int",
                "string",
                "A",
                {"type": "array", "items": "A"},
                {"type": "map", "values": "B"},
            ],
        },
        {"name": "text", "type": ["null", "string"]},
        {"name": "textFirst", "type": ["string", "null"]},
        {"name": "number", "type": ["int", "long", "float", "double"]},
    ],
}


def _unions(pick: Any, many: Any, number: Any, text: str | None = "t") -> tuple[BaseModel, Any]:
    def tagged(value: Any) -> Any:
        if isinstance(value, BaseModel):
            return (f"u.{type(value).__name__}", value.model_dump())
        if isinstance(value, list):
            return ("array", [v.model_dump() for v in value])
        if isinstance(value, dict):
            return ("map", {k: v.model_dump() for k, v in value.items()})
        return value

    model = Unions(pick=pick, many=many, text=text, textFirst=text, number=number)
    datum = {
        "pick": tagged(pick),
        "many": tagged(many),
        "text": text,
        "textFirst": text,
        "number": number,
    }
    return model, datum


# -- namespaces: two records with the same short name -------------------------------------------


class ItemA(Avro):
    v: int


class ItemB(Avro):
    v: int


class Spaces(Avro):
    either: ItemA | ItemB
    both: list[ItemA | ItemB]


SPACES = {
    "type": "record",
    "name": "Spaces",
    "namespace": "top",
    "fields": [
        {
            "name": "either",
            "type": [
                {
                    "type": "record",
                    "name": "Item",
                    "namespace": "a",
                    "fields": [{"name": "v", "type": "int"}],
                },
                {
                    "type": "record",
                    "name": "Item",
                    "namespace": "b",
                    "fields": [{"name": "v", "type": "int"}],
                },
            ],
        },
        {"name": "both", "type": {"type": "array", "items": ["a.Item", "b.Item"]}},
    ],
}

# -- recursion ---------------------------------------------------------------------------------


class Node(Avro):
    label: str
    children: list[Node]
    next: Node | None


NODE = {
    "type": "record",
    "name": "Node",
    "namespace": "tree",
    "fields": [
        {"name": "label", "type": "string"},
        {"name": "children", "type": {"type": "array", "items": "Node"}},
        {"name": "next", "type": ["null", "Node"]},
    ],
}


def _node(label: str, children: list[Node] = [], next: Node | None = None) -> Node:  # noqa: B006
    return Node(label=label, children=children, next=next)


def _node_datum(node: Node) -> Any:
    nxt = node.next
    return {
        "label": node.label,
        "children": [_node_datum(c) for c in node.children],
        "next": None if nxt is None else ("tree.Node", _node_datum(nxt)),
    }


_TREE = _node("root", [_node("a", [_node("a1")]), _node("b", next=_node("b-next", [_node("x")]))])

# -- logical types -----------------------------------------------------------------------------


class Logical(Avro):
    amount: Decimal
    big_amount: Decimal = Field(alias="bigAmount")
    id: UUID
    day: dt.date
    at_millis: dt.time = Field(alias="atMillis")
    at_micros: dt.time = Field(alias="atMicros")
    ts_millis: dt.datetime = Field(alias="tsMillis")
    ts_micros: dt.datetime = Field(alias="tsMicros")
    local_millis: dt.datetime = Field(alias="localMillis")
    local_micros: dt.datetime = Field(alias="localMicros")
    maybe_ts: dt.datetime | None = Field(alias="maybeTs")
    day_or_text: dt.date | str = Field(alias="dayOrText")


LOGICAL = record(
    "Logical",
    ("amount", {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2}),
    (
        "bigAmount",
        {
            "type": "fixed",
            "name": "Big",
            "size": 10,
            "logicalType": "decimal",
            "precision": 20,
            "scale": 4,
        },
    ),
    ("id", {"type": "string", "logicalType": "uuid"}),
    ("day", {"type": "int", "logicalType": "date"}),
    ("atMillis", {"type": "int", "logicalType": "time-millis"}),
    ("atMicros", {"type": "long", "logicalType": "time-micros"}),
    ("tsMillis", {"type": "long", "logicalType": "timestamp-millis"}),
    ("tsMicros", {"type": "long", "logicalType": "timestamp-micros"}),
    ("localMillis", {"type": "long", "logicalType": "local-timestamp-millis"}),
    ("localMicros", {"type": "long", "logicalType": "local-timestamp-micros"}),
    ("maybeTs", ["null", {"type": "long", "logicalType": "timestamp-millis"}]),
    ("dayOrText", [{"type": "int", "logicalType": "date"}, "string"]),
)


def _logical(**changes: Any) -> tuple[BaseModel, Any]:
    values: dict[str, Any] = {
        "amount": Decimal("12345.67"),
        "bigAmount": Decimal("-1234567890.1234"),
        "id": UUID("12345678-1234-5678-1234-567812345678"),
        "day": dt.date(2024, 2, 29),
        "atMillis": dt.time(12, 34, 56, 789000),
        "atMicros": dt.time(1, 2, 3, 456789),
        "tsMillis": dt.datetime(2024, 2, 29, 12, 0, 0, 123000, tzinfo=UTC),
        "tsMicros": dt.datetime(2024, 2, 29, 12, 0, 0, 123456, tzinfo=UTC),
        "localMillis": dt.datetime(2024, 2, 29, 12, 0, 0, 123000),
        "localMicros": dt.datetime(2024, 2, 29, 12, 0, 0, 123456),
        "maybeTs": None,
        "dayOrText": dt.date(1969, 7, 20),
    }
    values.update(changes)
    fields = {k: v[1] if isinstance(v, tuple) else v for k, v in values.items()}
    return Logical(**fields), values


class Durations(Avro):
    period: Duration
    maybe: Duration | None


DURATION = record(
    "Durations",
    ("period", {"type": "fixed", "name": "Period", "size": 12, "logicalType": "duration"}),
    ("maybe", ["null", "Period"]),
)


def _durations(period: Duration, maybe: Duration | None) -> tuple[BaseModel, Any]:
    return Durations(period=period, maybe=maybe), {
        "period": period.to_bytes(),
        "maybe": None if maybe is None else maybe.to_bytes(),
    }


# -- Avro names that are not safe Python names -----------------------------------------------------


class Awkward(Avro):
    class_: str = Field(alias="class")
    from_: int = Field(alias="from")
    json_: str = Field(alias="json")
    schema_: str = Field(alias="schema")
    field_1st: bool = Field(alias="_1st")
    model_config_: str = Field(alias="model_config")
    camel_case: str = Field(alias="CamelCase")


AWKWARD = record(
    "Awkward",
    ("class", "string"),
    ("from", "int"),
    ("json", "string"),
    ("schema", "string"),
    ("_1st", "boolean"),
    ("model_config", "string"),
    ("CamelCase", "string"),
)
_AWKWARD = {
    "class": "c",
    "from": 20240101,
    "json": "{}",
    "schema": "s",
    "_1st": True,
    "model_config": "m",
    "CamelCase": "C",
}

# -- top-level types that are not records -------------------------------------------------------


class Suit(enum.StrEnum):
    HEARTS = "HEARTS"
    SPADES = "SPADES"


class SuitMessage(RootModel[Suit]):
    pass


SUIT = {"type": "enum", "name": "Suit", "namespace": "cards", "symbols": ["HEARTS", "SPADES"]}


class Shapes(RootModel[list[A | B]]):
    pass


SHAPES = {"type": "array", "items": [record("A", ("x", "int")), record("B", ("x", "int"))]}

# -- Apache Avro's conformance schemas ----------------------------------------------------------


class Reserved(enum.StrEnum):
    DEFAULT = "default"
    CLASS = "class"
    INT = "int"


class ReservedMessage(RootModel[Reserved]):
    pass


class Foo(Avro):
    label: str


class Kind(enum.StrEnum):
    A = "A"
    B = "B"
    C = "C"


class InteropNode(Avro):
    label: str
    children: list[InteropNode]


class Interop(Avro):
    int_field: int = Field(alias="intField")
    long_field: int = Field(alias="longField")
    string_field: str = Field(alias="stringField")
    bool_field: bool = Field(alias="boolField")
    float_field: float = Field(alias="floatField")
    double_field: float = Field(alias="doubleField")
    bytes_field: bytes = Field(alias="bytesField")
    null_field: None = Field(alias="nullField")
    array_field: list[float] = Field(alias="arrayField")
    map_field: dict[str, Foo] = Field(alias="mapField")
    union_field: bool | float | list[bytes] = Field(alias="unionField")
    enum_field: Kind = Field(alias="enumField")
    fixed_field: MD5 = Field(alias="fixedField")
    record_field: InteropNode = Field(alias="recordField")
    time_millis_field: int = Field(alias="timeMillisField")
    time_micros_field: int = Field(alias="timeMicrosField")
    timestamp_millis_field: int = Field(alias="timestampMillisField")
    timestamp_micros_field: int = Field(alias="timestampMicrosField")
    local_timestamp_millis_field: int = Field(alias="localTimestampMillisField")
    local_timestamp_micros_field: int = Field(alias="localTimestampMicrosField")


def _interop(union_value: Any) -> tuple[BaseModel, Any]:
    datum = {
        "intField": 12,
        "longField": 15234324,
        "stringField": "hey",
        "boolField": True,
        "floatField": 1234.0,
        "doubleField": -1234.0,
        "bytesField": b"12312adf",
        "nullField": None,
        "arrayField": [5.0, 0.0, 12.0],
        "mapField": {"a": {"label": "a"}, "bee": {"label": "cee"}},
        "unionField": union_value,
        "enumField": "C",
        "fixedField": b"1019181716151413",
        "recordField": {
            "label": "root",
            "children": [{"label": "child", "children": [{"label": "leaf", "children": []}]}],
        },
        "timeMillisField": 61234,
        "timeMicrosField": 61234567,
        "timestampMillisField": 1700000000000,
        "timestampMicrosField": 1700000000000000,
        "localTimestampMillisField": -5,
        "localTimestampMicrosField": 0,
    }
    return Interop.model_validate(datum), datum


# -- the catalogue -----------------------------------------------------------------------------

CASES = [
    Case(
        "primitives",
        PRIMITIVES,
        Primitives,
        {"Primitives": Primitives},
        [
            _primitives(
                n=None, b=True, i=-5, l=2**40, f=1.5, d=0.1, by=b"\x00\xff\x7f", s="héllo ✓"
            ),
            _primitives(n=None, b=False, i=-(2**31), l=2**63 - 1, f=-0.0, d=-1e300, by=b"", s=""),
            _primitives(
                n=None, b=True, i=2**31 - 1, l=-(2**63), f=3.25, d=5e-324, by=b"\n", s='"\\'
            ),
        ],
    ),
    Case(
        "nested",
        ORDER,
        Order,
        {
            "com.example.Order": Order,
            "com.example.Customer": Customer,
            "com.example.Address": Address,
            "com.example.Item": Item,
        },
        [(Order.model_validate(_ORDER_DATUM), _ORDER_DATUM)],
    ),
    Case(
        "enums",
        ENUMS,
        Enums,
        {"shop.Enums": Enums, "shop.Status": Status},
        [
            (
                Enums(status=Status.PAID, previous=None, labelOrStatus=Status.PAID, history=[]),
                {
                    "status": "PAID",
                    "previous": None,
                    "labelOrStatus": ("shop.Status", "PAID"),
                    "history": [],
                },
            ),
            (
                Enums(
                    status=Status.NEW,
                    previous=Status.SHIPPED,
                    labelOrStatus="PAID",
                    history=[Status.NEW, Status.PAID],
                ),
                {
                    "status": "NEW",
                    "previous": "SHIPPED",
                    "labelOrStatus": "PAID",
                    "history": ["NEW", "PAID"],
                },
            ),
        ],
    ),
    Case(
        "fixed",
        FIXED,
        Fixed,
        {"Fixed": Fixed},
        [
            (
                Fixed(digest=bytes(range(16)), maybe=None, either=b"short"),
                {"digest": bytes(range(16)), "maybe": None, "either": b"short"},
            ),
            (
                Fixed(digest=b"\xff" * 16, maybe=bytes(range(240, 256)), either=b""),
                {"digest": b"\xff" * 16, "maybe": bytes(range(240, 256)), "either": b""},
            ),
        ],
    ),
    Case(
        "unions",
        UNIONS,
        Unions,
        {"u.Unions": Unions, "u.A": A, "u.B": B},
        [
            _unions(A(x=1), 7, 5),
            _unions(B(x=1), "seven", 2**40, text=None),
            _unions(None, A(x=-3), 1.5),
            _unions(B(x=0), [A(x=1), A(x=2)], -(2**31)),
            _unions(A(x=0), {"k": B(x=9)}, 0.25, text=""),
        ],
    ),
    Case(
        "namespaces",
        SPACES,
        Spaces,
        {"top.Spaces": Spaces, "a.Item": ItemA, "b.Item": ItemB},
        [
            (
                Spaces(either=ItemB(v=1), both=[ItemA(v=2), ItemB(v=3)]),
                {
                    "either": ("b.Item", {"v": 1}),
                    "both": [("a.Item", {"v": 2}), ("b.Item", {"v": 3})],
                },
            )
        ],
    ),
    Case(
        "recursive",
        NODE,
        Node,
        {"tree.Node": Node},
        [(_TREE, _node_datum(_TREE)), (_node("alone"), _node_datum(_node("alone")))],
        recursive=True,
    ),
    Case(
        "logical",
        LOGICAL,
        Logical,
        {"Logical": Logical},
        [
            _logical(),
            _logical(
                amount=Decimal("-0.01"),
                bigAmount=Decimal("0"),
                maybeTs=dt.datetime(1969, 12, 31, 23, 59, 59, 999000, tzinfo=UTC),
                tsMicros=dt.datetime(1900, 1, 1, tzinfo=UTC),
                dayOrText=("string", "not a date"),  # untagged, fastavro would parse it as a date
                atMillis=dt.time(0, 0),
                atMicros=dt.time(23, 59, 59, 999999),
            ),
            _logical(amount=Decimal("99999999.99"), bigAmount=Decimal("9999999999999999.9999")),
        ],
    ),
    Case(
        "duration",
        DURATION,
        Durations,
        {"Durations": Durations},
        [
            _durations(Duration(months=1, days=2, milliseconds=3), None),
            _durations(
                Duration(), Duration(months=2**32 - 1, days=2**32 - 1, milliseconds=2**32 - 1)
            ),
        ],
    ),
    Case(
        "awkward-names",
        AWKWARD,
        Awkward,
        {"Awkward": Awkward},
        [(Awkward.model_validate(_AWKWARD), _AWKWARD)],
    ),
    Case(
        "top-level-enum",
        SUIT,
        SuitMessage,
        {"cards.Suit": Suit},
        [(SuitMessage(Suit.SPADES), "SPADES"), (SuitMessage(Suit.HEARTS), "HEARTS")],
    ),
    Case(
        "top-level-array-of-union",
        SHAPES,
        Shapes,
        {"A": A, "B": B},
        [(Shapes([A(x=1), B(x=1), B(x=2)]), [("A", {"x": 1}), ("B", {"x": 1}), ("B", {"x": 2})])],
    ),
    Case(
        "conformance-reserved",
        SharedSchema("reserved.avsc"),
        ReservedMessage,
        {"org.apache.avro.test.Reserved": Reserved},
        [(ReservedMessage(Reserved.CLASS), "class"), (ReservedMessage(Reserved.INT), "int")],
    ),
    Case(
        "conformance-interop",
        SharedSchema("interop.avsc"),
        Interop,
        {
            "org.apache.avro.Interop": Interop,
            "org.apache.avro.Foo": Foo,
            "org.apache.avro.Kind": Kind,
            "org.apache.avro.Node": InteropNode,
        },
        [_interop(True), _interop(2.5), _interop([b"a", b"\x00\xff"])],
        recursive=True,
    ),
]

BY_ID_CASES = {case.id: case for case in CASES}
SAMPLES = [
    pytest.param(case, index, id=f"{case.id}-{index}")
    for case in CASES
    for index in range(len(case.samples))
]


def fastavro_bytes(case: Case, datum: Any) -> bytes:
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, fastavro.parse_schema(case.schema), datum)
    return buffer.getvalue()


def fastavro_json(case: Case, datum: Any) -> Any:
    text = io.StringIO()
    json_writer(text, fastavro.parse_schema(case.schema), [datum])
    return json.loads(text.getvalue())


@pytest.mark.parametrize(("case", "index"), SAMPLES)
def test_binary_is_what_fastavro_writes(case: Case, index: int) -> None:
    model, datum = case.samples[index]
    assert case.spec("BINARY").encode(model) == fastavro_bytes(case, datum)


@pytest.mark.parametrize(("case", "index"), SAMPLES)
def test_binary_round_trips(case: Case, index: int) -> None:
    spec = case.spec("BINARY")
    model, _ = case.samples[index]
    decoded = spec.decode(spec.encode(model))
    assert type(decoded) is case.model
    assert decoded == model


@pytest.mark.parametrize(("case", "index"), SAMPLES)
def test_binary_decodes_what_fastavro_writes(case: Case, index: int) -> None:
    model, datum = case.samples[index]
    assert case.spec("BINARY").decode(fastavro_bytes(case, datum)) == model


@pytest.mark.parametrize(("case", "index"), SAMPLES)
def test_json_round_trips(case: Case, index: int) -> None:
    spec = case.spec("JSON")
    model, _ = case.samples[index]
    decoded = spec.decode(spec.encode(model))
    assert type(decoded) is case.model
    assert decoded == model


@pytest.mark.parametrize(("case", "index"), [p for p in SAMPLES if not p.values[0].recursive])
def test_json_is_fastavros_avro_json(case: Case, index: int) -> None:
    # fastavro's JSON writer is right where it terminates (it recurses forever on recursion)
    model, datum = case.samples[index]
    assert json.loads(case.spec("JSON").encode(model)) == fastavro_json(case, datum)


@pytest.mark.parametrize(("case", "index"), SAMPLES)
def test_json_is_compact_and_deterministic(case: Case, index: int) -> None:
    spec = case.spec("JSON")
    model, _ = case.samples[index]
    data = spec.encode(model)
    assert data == spec.encode(model.model_copy(deep=True))
    assert data == json.dumps(json.loads(data), separators=(",", ":"), ensure_ascii=False).encode()


# -- a map beside a record that takes any dict ------------------------------------------------


class Shade(enum.StrEnum):
    RED = "RED"
    GREEN = "GREEN"


class AnyNote(Avro):
    note: str | None = None


class Bare(Avro):
    pass


class MapOrRecord(Avro):
    u: dict[str, Shade] | AnyNote | None
    v: Bare | dict[str, list[Bare]]


SHADE = {"type": "enum", "name": "Shade", "symbols": ["RED", "GREEN"]}
ANY_NOTE = record("AnyNote", ("note", ["null", "string"]))
MAP_OR_RECORD = record(
    "MapOrRecord",
    ("u", ["null", {"type": "map", "values": SHADE}, ANY_NOTE]),
    ("v", [record("Bare"), {"type": "map", "values": {"type": "array", "items": "Bare"}}]),
)


@pytest.mark.parametrize("encoding", ["BINARY", "JSON"])
@pytest.mark.parametrize(
    "sent",
    [
        MapOrRecord(u={"k": Shade.RED, "j": Shade.GREEN}, v={"a": [Bare(), Bare()]}),
        MapOrRecord(u={}, v={}),
        MapOrRecord(u=AnyNote(note="x"), v=Bare()),
        MapOrRecord(u=AnyNote(), v={"a": []}),
    ],
)
def test_a_map_beside_a_record_taking_any_dict_decodes_as_the_branch_on_the_wire(
    encoding: str, sent: MapOrRecord
) -> None:
    # pydantic's smart union alone would take {"k": "RED"} for AnyNote and {"a": [{}]} for Bare
    spec = TopicSpec(
        name="map-or-record",
        model=MapOrRecord,
        schema_type="AVRO",
        encoding=encoding,
        definition=json.dumps(MAP_OR_RECORD),
        named_types={"Shade": Shade, "AnyNote": AnyNote, "Bare": Bare},
    )
    decoded = spec.decode(spec.encode(sent))
    assert decoded == sent
    assert type(decoded.u) is type(sent.u) and type(decoded.v) is type(sent.v)
