"""mypy --strict (the repository's configuration) on app code that uses the generated package.

Correct code passes; publishing another topic's model, or a dict, to a generated publisher is
rejected with an error that names the argument's type.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MYPY = Path(sys.executable).with_name("mypy")

CORRECT = """\
from example_events import (
    OrderPlaced,
    OrderPlacedPublisher,
    PriorityChanged,
    PriorityChangedPublisher,
)
from example_events.order_placed import ORDER_PLACED
from example_events.priority_changed import Priority
from example_events.samples import sample_order_placed
from pubsub_runtime import Message, PubSubBroker

broker = PubSubBroker(project_id="typing-project")


@broker.subscriber("orders", topic_name=ORDER_PLACED.name, subscription_name="orders-sub")
async def on_order(order: OrderPlaced) -> None:
    total = order.total + order.items[0].unit_price
    assert total


@broker.subscriber("raw", topic_name=ORDER_PLACED.name, subscription_name="raw-sub")
async def on_message(message: Message[OrderPlaced]) -> None:
    assert message.payload.customer.id


async def publish() -> list[str]:
    order: OrderPlaced = ORDER_PLACED.decode(ORDER_PLACED.encode(sample_order_placed()))
    first = await OrderPlacedPublisher(broker).publish(order, ordering_key="k")
    rest = await OrderPlacedPublisher(broker).publish_many([order, order])
    high = await PriorityChangedPublisher(broker).publish(PriorityChanged(Priority.HIGH))
    return [first, *rest, high]
"""

WRONG = """\
from example_events import CustomerRegistered, OrderPlaced, OrderPlacedPublisher
from pubsub_runtime import PubSubBroker


async def publish(broker: PubSubBroker, customer: CustomerRegistered) -> None:
    await OrderPlacedPublisher(broker).publish(customer)
    await OrderPlacedPublisher(broker).publish({"orderId": "x"})
    await OrderPlacedPublisher(broker).publish_many([customer])


def wrong_return(order: OrderPlaced) -> CustomerRegistered:
    return order
"""


def run_mypy(folder: Path) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "MYPYPATH": str(ROOT / "generated_example")}
    return subprocess.run(
        [
            str(MYPY),
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(ROOT / ".mypy_cache" / "e2e-typing"),
            "--no-error-summary",
            "--hide-error-context",
            str(folder / "correct_app.py"),
            str(folder / "wrong_app.py"),
        ],
        cwd=folder,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


def test_mypy_accepts_correct_code_and_rejects_the_wrong_model(tmp_path: Path) -> None:
    (tmp_path / "correct_app.py").write_text(CORRECT, encoding="utf-8")
    (tmp_path / "wrong_app.py").write_text(WRONG, encoding="utf-8")

    done = run_mypy(tmp_path)

    errors = [line for line in done.stdout.splitlines() if ": error:" in line]
    assert done.returncode == 1, done.stdout + done.stderr
    assert not [e for e in errors if e.startswith("correct_app.py")], errors
    wrong = {int(re.split(r":", e)[1]): e for e in errors if e.startswith("wrong_app.py")}
    assert sorted(wrong) == [6, 7, 8, 12], errors
    assert 'Argument 1 to "publish" of "OrderPlacedPublisher" has incompatible type' in wrong[6]
    assert '"CustomerRegistered"; expected "OrderPlaced"' in wrong[6]
    assert '"dict[str, str]"; expected "OrderPlaced"' in wrong[7]
    assert '"CustomerRegistered"; expected "OrderPlaced"' in wrong[8]
    assert '"OrderPlaced", expected "CustomerRegistered"' in wrong[12]


FIELDS = """\
from decimal import Decimal

from example_events.order_placed import Customer, LineItem


def typed() -> list[LineItem]:
    return [LineItem(sku="a", quantity=3, unit_price=Decimal("12.50"))]


def wrong_types() -> LineItem:
    return LineItem(sku="a", quantity="3", unit_price="12.50")


def unknown_field() -> Customer:
    return Customer(id="c-1", colour="red")
"""


def test_mypy_rejects_a_wrong_field_type_or_an_unknown_field(tmp_path: Path) -> None:
    """The pydantic plugin's init_typed and init_forbid_extra: `str` is no `Decimal` nor `int`."""
    (tmp_path / "correct_app.py").write_text(CORRECT, encoding="utf-8")
    (tmp_path / "wrong_app.py").write_text(FIELDS, encoding="utf-8")

    done = run_mypy(tmp_path)

    errors = [line for line in done.stdout.splitlines() if ": error:" in line]
    assert done.returncode == 1, done.stdout + done.stderr
    assert all(e.startswith("wrong_app.py:") for e in errors), errors
    lines = sorted(int(e.split(":")[1]) for e in errors)
    assert lines == [11, 11, 15], errors
    assert any(
        '"quantity" to "LineItem" has incompatible type "str"; expected "int"' in e for e in errors
    )
    assert any(
        '"unit_price" to "LineItem" has incompatible type "str"; expected "Decimal"' in e
        for e in errors
    )
    assert any('Unexpected keyword argument "colour" for "Customer"' in e for e in errors)
