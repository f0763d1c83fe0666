import pytest
from orders.order import Order, TransitionError
from orders.status import can_transition, is_final, next_statuses, parse_status


def test_parse_status_normalises_and_rejects_unknown():
    assert parse_status(" Paid ") == "paid"
    with pytest.raises(ValueError):
        parse_status("lost")


def test_transitions():
    assert next_statuses("new") == ["paid", "cancelled"]
    assert can_transition("paid", "shipped")
    assert not can_transition("shipped", "cancelled")
    assert is_final("delivered") and is_final("cancelled") and not is_final("new")


def test_order_lifecycle():
    o = Order(7)
    assert o.status == "new"
    o.move_to("paid")
    o.move_to("SHIPPED")
    o.move_to("delivered")
    assert o.status == "delivered"
    assert o.history == [("new", "paid"), ("paid", "shipped"), ("shipped", "delivered")]
    with pytest.raises(TransitionError):
        o.move_to("new")
