"""naming.py decides every generated name: the rules the service, the registry and the JSON
Schema models share, and how each settles a collision."""

from __future__ import annotations

from pathlib import Path

from pubsub_gen import ir, naming


def _topic(name: str, **options: object) -> ir.Topic:
    return ir.Topic(
        stem=name,
        name=name,
        module=naming.module_name(name),
        source=Path(f"{name}.avsc"),
        display_path=f"{name}.avsc",
        schema_type="AVRO",
        encoding="JSON",
        subscriptions=(),
        definition="{}",
        payload_class="P",
        publisher_class="PPublisher",
        constant="P",
        payload=ir.JsonSchemaPayload({}),
        options=options,
    )


def test_handlers_are_named_after_their_subscription_without_the_service_prefix() -> None:
    subscriptions = ["events.order-placed", "billing_sub", "billing", "events.order-placed"]
    assert naming.handler_functions(subscriptions, "events") == (
        "handle_order_placed",
        "handle_billing",
        "handle_billing_2",
        "handle_order_placed_2",
    )
    assert naming.handler_test("handle_billing") == "test_handle_billing_acks_the_sample"


def test_samples_refer_to_modules_aliased_only_when_one_is_named_like_a_sample() -> None:
    assert naming.module_references(["a", "b"]) == {"a": "a", "b": "b"}
    aliased = naming.module_references(["a", "sample_a"])
    assert aliased == {"a": "_a", "sample_a": "_sample_a"}
    assert naming.sample_function("a") == "sample_a"


def test_service_files_and_test_resources() -> None:
    assert naming.handler_module("order_placed") == "order_placed"
    assert naming.test_module("order_placed") == "test_order_placed"
    assert naming.failing_subscription("orders") == "orders-always-fails"
    assert naming.dead_letter_topic("orders") == "orders-dead-letter"
    assert naming.sample_part(1, {"part_1"}) == "part_1_2"


def test_the_registry_schema_id_is_the_setting_else_the_topic_name() -> None:
    assert naming.schema_id(_topic("orders")) == "orders"
    assert naming.schema_id(_topic("orders", schema_id="orders-v1")) == "orders-v1"
    assert naming.schema_id(_topic("orders", schema_id="")) == "orders"
    assert naming.writer_schema_constant("ab12") == "_SCHEMA_AB12"


def test_field_attributes_avoid_each_other_and_other_fields_wire_names() -> None:
    # "A" becomes a; a is the wire name of the next field, so it takes a_2.
    assert naming.field_attributes(["A", "a"]) == ("a_2", "a")
    assert naming.field_attributes(["class", "Class"]) == ("class_", "class__2")
    assert naming.enum_members(["a", "A", "l"]) == ("A", "A_2", "L")


def test_json_schema_names() -> None:
    assert naming.json_attributes(["-1", "+1", "x"]) == {
        "+1": "field_1",
        "-1": "field_1_2",
        "x": "x",
    }
    assert naming.json_class("order", {"Order"}) == "Order"
    assert naming.json_class("Order", {"Order"}) == "Order"
    assert naming.json_root_enum("Status", ["StatusEnum"]) == "StatusEnum_2"
    assert naming.json_root_object("Status") == "StatusObject"
    assert naming.json_payload_class({"title": "order placed"}, "x") == "OrderPlaced"
    assert naming.json_payload_class({"title": "!"}, "order-placed") == "OrderPlaced"


def test_numbered_duplicates_are_numbered_per_module_in_its_order() -> None:
    # The library numbered Address across a batch (Address3 here); per module it is Address1.
    assert naming.numbered_duplicates(["Address", "Address3"], {"Address"}) == {
        "Address3": "Address1"
    }
    # A name the schema asked for is never renamed.
    assert naming.numbered_duplicates(["Address", "Address3"], {"Address", "Address3"}) == {}


def test_json_inline_titles_and_definitions_taking_their_names_back() -> None:
    taken = {"Order", "Address"}
    assert naming.json_inline_title("gift wrap", taken) == "GiftWrap"
    assert naming.json_inline_title("Gift-Wrap", taken) is None  # taken now
    assert naming.json_inline_title("address", taken) is None
    assert naming.json_inline_title("--", taken) is None
    assert naming.json_inline_title("class", taken) == "Class"
    # The library prefixed the definition Address and what sits in it; OrderAddressBook is
    # another inline model of Order and keeps its name.
    classes = ["OrderAddress", "OrderAddressKind", "OrderAddressBook", "Order"]
    given = [(name, name) for name in classes]
    renames = naming.json_module_classes(
        classes, {"OrderAddress": "Address"}, {"OrderAddressKind": "OrderAddress"}, given
    )
    assert renames == {"OrderAddress": "Address", "OrderAddressKind": "AddressKind"}
    # A definition whose name another class holds keeps the library's.
    held = ["Address", "OrderAddress"]
    given = [(name, name) for name in held]
    assert naming.json_module_classes(held, {"OrderAddress": "Address"}, {}, given) == {}


def test_names_built_of_a_name_the_batch_numbered_lose_its_number() -> None:
    # Another topic of the batch held Value: the library gave this module's Value1 and built
    # the names inside of it; alone the module has Value, ValueValue, ValueValue1.
    given = [
        ("Holder", "Holder"),
        ("Value", "Value1"),
        ("Value1Value1", "Value1Value1"),
        ("Value1Value1", "Value1Value11"),
        ("Value1Value1", "Value1Value1"),  # named again
    ]
    assert naming.json_own_names(given) == (
        {
            "Holder": "Holder",
            "Value1": "Value",
            "Value1Value1": "ValueValue",
            "Value1Value11": "ValueValue1",
        },
        {"Holder", "Value", "ValueValue"},
    )
    classes = ["Value1Value11", "Value1Value1", "Holder"]
    assert naming.json_module_classes(classes, {}, {}, given) == {
        "Value1Value11": "ValueValue1",
        "Value1Value1": "ValueValue",
    }
    # Only whole names: a property value12 or value1st inside Value1 is no Value1.
    assert naming.json_own_names([("Value", "Value1"), ("Value1Value12", "Value1Value12")])[0] == {
        "Value1": "Value",
        "Value1Value12": "ValueValue12",
    }
    assert naming.json_own_names([("Value", "Value1"), ("Value1st", "Value1st")])[0] == {
        "Value1": "Value",
        "Value1st": "Value1st",
    }
    # A name the library suffixed (a model named again) keeps its suffix.
    given = [("Feed", "Feed"), ("Feed", "FeedModel"), ("FeedModelItem", "FeedModelItem")]
    assert naming.json_own_names(given)[0] == {n: n for _, n in given}
    # Numbers the module itself needs stay: alone, too, its second Value is Value1.
    given = [("Value", "Value3"), ("Value", "Value4"), ("Value4Value4", "Value4Value4")]
    assert naming.json_own_names(given)[0] == {
        "Value3": "Value",
        "Value4": "Value1",
        "Value4Value4": "Value1Value1",
    }
