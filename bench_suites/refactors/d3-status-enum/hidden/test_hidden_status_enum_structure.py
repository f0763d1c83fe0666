import ast
import enum
from pathlib import Path

import orders.status as status_mod
from orders.order import Order
from orders.status import OrderStatus, next_statuses, parse_status

ROOT = Path(__file__).resolve().parent.parent


def test_enum_with_expected_members_and_values():
    assert issubclass(OrderStatus, enum.Enum)
    assert issubclass(OrderStatus, str)
    assert [(m.name, m.value) for m in OrderStatus] == [
        ("NEW", "new"),
        ("PAID", "paid"),
        ("SHIPPED", "shipped"),
        ("DELIVERED", "delivered"),
        ("CANCELLED", "cancelled"),
    ]


def test_old_constants_are_gone_everywhere():
    leftovers = [n for n in dir(status_mod) if n.startswith("STATUS_") or n == "ALL_STATUSES"]
    assert leftovers == []
    for rel in ("orders/status.py", "orders/order.py"):
        tree = ast.parse((ROOT / rel).read_text(encoding="utf-8"))
        names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        names |= {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names}
        assert not {n for n in names if n.startswith("STATUS_")}, rel


def test_functions_return_enum_members_and_accept_both_forms():
    assert parse_status("Shipped") is OrderStatus.SHIPPED
    assert parse_status(OrderStatus.PAID) is OrderStatus.PAID
    got = next_statuses(OrderStatus.NEW)
    assert got == [OrderStatus.PAID, OrderStatus.CANCELLED]
    assert all(type(s) is OrderStatus for s in got)


def test_order_status_is_always_an_enum_member():
    o = Order(1)
    assert o.status is OrderStatus.NEW
    o.move_to("paid")
    assert o.status is OrderStatus.PAID
    assert Order(2, status="shipped").status is OrderStatus.SHIPPED
