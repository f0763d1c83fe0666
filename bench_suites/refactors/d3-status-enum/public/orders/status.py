"""Order statuses and the allowed transitions between them."""

from __future__ import annotations

STATUS_NEW = "new"
STATUS_PAID = "paid"
STATUS_SHIPPED = "shipped"
STATUS_DELIVERED = "delivered"
STATUS_CANCELLED = "cancelled"

ALL_STATUSES = [STATUS_NEW, STATUS_PAID, STATUS_SHIPPED, STATUS_DELIVERED, STATUS_CANCELLED]

_TRANSITIONS = {
    STATUS_NEW: [STATUS_PAID, STATUS_CANCELLED],
    STATUS_PAID: [STATUS_SHIPPED, STATUS_CANCELLED],
    STATUS_SHIPPED: [STATUS_DELIVERED],
    STATUS_DELIVERED: [],
    STATUS_CANCELLED: [],
}


def parse_status(text: str) -> str:
    value = text.strip().lower()
    if value not in ALL_STATUSES:
        raise ValueError(f"unknown status {text!r}")
    return value


def next_statuses(status: str) -> list[str]:
    return list(_TRANSITIONS[parse_status(status)])


def can_transition(src: str, dst: str) -> bool:
    return parse_status(dst) in next_statuses(src)


def is_final(status: str) -> bool:
    return not next_statuses(status)
