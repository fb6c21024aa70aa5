"""Small Avro schemas, one per feature of SPEC section 3, shared by the generator tests."""

from __future__ import annotations

from typing import Any

from gen_support import field, record


def _logical(base: str, name: str, **extra: Any) -> dict[str, Any]:
    return {"type": base, "logicalType": name, **extra}


FEATURES: dict[str, Any] = {
    "primitives": record(
        "Primitives",
        field("n", "null"),
        field("b", "boolean"),
        field("i", "int"),
        field("l", "long"),
        field("f", "float"),
        field("d", "double"),
        field("by", "bytes"),
        field("s", "string"),
    ),
    "nested_records": record(
        "Outer",
        field("inner", record("Inner", field("deep", record("Deep", field("x", "int"))))),
        field("again", "Inner"),
    ),
    "enums": record(
        "WithEnum",
        field(
            "color",
            {"type": "enum", "name": "Color", "symbols": ["RED", "GREEN"], "default": "RED"},
            default="GREEN",
        ),
        field("colors", {"type": "array", "items": "Color"}),
    ),
    "collections": record(
        "Collections",
        field("ints", {"type": "array", "items": "int"}),
        field("nested", {"type": "array", "items": {"type": "array", "items": "string"}}),
        field("lookup", {"type": "map", "values": {"type": "map", "values": "double"}}),
        field("records", {"type": "map", "values": record("Entry", field("v", "long"))}),
    ),
    "fixed_types": record(
        "Fixed",
        field("digest", {"type": "fixed", "name": "Digest", "size": 16}),
        field("empty", {"type": "fixed", "name": "Empty", "size": 0}),
        field("maybe", ["null", "Digest"]),
    ),
    "unions": record(
        "Unions",
        field("optional", ["null", "string"]),
        field("null_last", ["long", "null"]),
        field(
            "shapes",
            [
                record("Circle", field("radius", "double")),
                record("Square", field("side", "double")),
                "string",
                {"type": "array", "items": "int"},
                {"type": "map", "values": "boolean"},
                "null",
            ],
        ),
        field("numbers", ["int", "long", "float", "double"]),
        field("blobs", ["bytes", {"type": "fixed", "name": "Four", "size": 4}]),
    ),
    "namespaces": record(
        "Root",
        field("a", record("Thing", field("x", "int"), namespace="com.a")),
        field("b", record("Thing", field("y", "string"), namespace="com.b")),
        field("by_full_name", "com.a.Thing"),
        field("in_union", ["null", "com.b.Thing", "com.a.Thing"]),
        namespace="com.root",
    ),
    "recursion": record(
        "Tree",
        field("label", "string"),
        field("children", {"type": "array", "items": "Tree"}),
        field("parent", ["null", "Tree"]),
        field("by_name", {"type": "map", "values": "Tree"}),
    ),
    "mutual_recursion": record(
        "Ping",
        field("pong", ["null", record("Pong", field("ping", ["null", "Ping"]))]),
    ),
    "logical_types": record(
        "Logical",
        field("price", _logical("bytes", "decimal", precision=9, scale=3)),
        field(
            "amount",
            {
                "type": "fixed",
                "name": "Amount",
                "size": 6,
                "logicalType": "decimal",
                "precision": 14,
                "scale": 2,
            },
        ),
        field("id", _logical("string", "uuid")),
        field("day", _logical("int", "date")),
        field("tm", _logical("int", "time-millis")),
        field("tu", _logical("long", "time-micros")),
        field("sm", _logical("long", "timestamp-millis")),
        field("su", _logical("long", "timestamp-micros")),
        field("lm", _logical("long", "local-timestamp-millis")),
        field("lu", _logical("long", "local-timestamp-micros")),
        field(
            "wait",
            {"type": "fixed", "name": "Wait", "size": 12, "logicalType": "duration"},
        ),
        field("maybe_day", ["null", _logical("int", "date")]),
        field("unknown_logical", _logical("string", "made-up")),
        field("wrong_base", _logical("string", "date")),
    ),
    "defaults": record(
        "Defaults",
        field("i", "int", default=-7),
        field("f", "float", default=1),
        field("s", "string", default="x"),
        field("by", "bytes", default="\u00ff"),
        field("e", {"type": "enum", "name": "E", "symbols": ["A", "B"]}, default="B"),
        field("arr", {"type": "array", "items": "long"}, default=[1, 2]),
        field("m", {"type": "map", "values": "int"}, default={"k": 1}),
        field("u", ["null", "int"], default=None),
        field("u2", ["int", "null"], default=3),
        field("r", record("R", field("a", "int", default=1), field("b", "E")), default={"b": "A"}),
        field("rs", {"type": "array", "items": "R"}, default=[{"a": 2, "b": "B"}]),
        field("day", _logical("int", "date"), default=19000),
        field("ts", _logical("long", "timestamp-millis"), default=1700000000000),
        field("dec", _logical("bytes", "decimal", precision=4, scale=2), default="\u0004\u00d2"),
    ),
    "aliases": record(
        "Renamed",
        field("current", "int", aliases=["previous"]),
        aliases=["OldName", "com.old.Name"],
        doc="Aliases are kept in the schema for readers; the model uses the current names.",
    ),
    "top_enum": {"type": "enum", "name": "Level", "symbols": ["LOW", "HIGH"]},
    "top_array": {"type": "array", "items": record("Item", field("v", "int"))},
    "top_map": {"type": "map", "values": "long"},
    "top_string": "string",
    "top_union": ["null", "string", record("Boxed", field("v", "int"))],
    "top_fixed": {"type": "fixed", "name": "Hash", "size": 8},
}
