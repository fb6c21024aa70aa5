"""One order, three ways: Avro JSON, Avro binary, and what decoding bad bytes raises."""

from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID

from example_events.order_placed import ORDER_PLACED, Customer, LineItem, OrderPlaced

from pubsub_runtime import DecodeError, TopicSpec

# The same topic with the binary encoding (pubsub-gen writes this when encoding = "binary").
ORDER_PLACED_BINARY: TopicSpec[OrderPlaced] = TopicSpec(
    name=ORDER_PLACED.name,
    model=OrderPlaced,
    schema_type="AVRO",
    encoding="BINARY",
    definition=ORDER_PLACED.definition,
    named_types=ORDER_PLACED.named_types,
)


def main() -> None:
    order = OrderPlaced(
        order_id=UUID("7d0c4d5e-2b8f-4f43-9d7e-1f6a3c0b9e21"),
        placed_at=datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
        customer=Customer(id="c-42"),
        items=[LineItem(sku="book-1", quantity=2, unit_price=Decimal("12.50"))],
        total=Decimal("25.00"),
        note="leave at the door",
    )

    as_json = ORDER_PLACED.encode(order)
    print(len(as_json), "bytes of Avro JSON:")
    print(as_json.decode())
    print(dict(ORDER_PLACED.attributes))

    as_binary = ORDER_PLACED_BINARY.encode(order)
    print(len(as_binary), "bytes of Avro binary")
    print(dict(ORDER_PLACED_BINARY.attributes))

    # Both decode to the model they came from.
    print(ORDER_PLACED.decode(as_json) == ORDER_PLACED_BINARY.decode(as_binary) == order)

    try:
        ORDER_PLACED.decode(b'{"orderId": 42}')
    except DecodeError as error:
        print(f"DecodeError: topic={error.topic!r} reason={error.reason!r}")


if __name__ == "__main__":
    main()
