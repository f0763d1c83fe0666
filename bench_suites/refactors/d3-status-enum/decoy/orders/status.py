"""Order statuses and the allowed transitions between them."""

from __future__ import annotations

from enum import Enum


class OrderStatus(str, Enum):
    NEW = "new"
    PAID = "paid"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"

    def __str__(self) -> str:
        return self.value


# old names kept for callers that still use them
STATUS_NEW = OrderStatus.NEW
STATUS_PAID = OrderStatus.PAID
STATUS_SHIPPED = OrderStatus.SHIPPED
STATUS_DELIVERED = OrderStatus.DELIVERED
STATUS_CANCELLED = OrderStatus.CANCELLED

_TRANSITIONS = {
    OrderStatus.NEW: (OrderStatus.PAID, OrderStatus.CANCELLED),
    OrderStatus.PAID: (OrderStatus.SHIPPED, OrderStatus.CANCELLED),
    OrderStatus.SHIPPED: (OrderStatus.DELIVERED,),
    OrderStatus.DELIVERED: (),
    OrderStatus.CANCELLED: (),
}


def parse_status(text: str | OrderStatus) -> OrderStatus:
    if isinstance(text, OrderStatus):
        return text
    try:
        return OrderStatus(text.strip().lower())
    except ValueError:
        raise ValueError(f"unknown status {text!r}") from None


def next_statuses(status: str | OrderStatus) -> list[OrderStatus]:
    return list(_TRANSITIONS[parse_status(status)])


def can_transition(src: str | OrderStatus, dst: str | OrderStatus) -> bool:
    return parse_status(dst) in next_statuses(src)


def is_final(status: str | OrderStatus) -> bool:
    return not next_statuses(status)
