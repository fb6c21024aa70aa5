"""The generated models: Python names in code, the schema's names on the wire."""

from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID

from example_events import TOPICS, OrderPlaced
from example_events.order_placed import Customer, LineItem


def example_order() -> OrderPlaced:
    # Attribute names are snake_case; the schema's field names (orderId, ...) are their aliases.
    return OrderPlaced(
        order_id=UUID("7d0c4d5e-2b8f-4f43-9d7e-1f6a3c0b9e21"),
        placed_at=datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
        customer=Customer(id="c-42"),
        items=[LineItem(sku="book-1", quantity=2, unit_price=Decimal("12.50"))],
        total=Decimal("25.00"),
    )


def main() -> None:
    order = example_order()
    # Defaults come from the schema: status PENDING, tier STANDARD, no note.
    print(order.status, order.customer.tier, order.note)
    # Wire names are accepted too, so a dict in the schema's own shape validates.
    same = OrderPlaced.model_validate(order.model_dump(by_alias=True))
    print(same == order)
    # Every topic of the package, keyed by topic name: its model and its codec.
    spec = TOPICS["order_placed"]
    print(spec.name, spec.model.__name__, spec.schema_type, spec.encoding)
    print(spec.decode(spec.encode(order)) == order)


if __name__ == "__main__":
    main()
