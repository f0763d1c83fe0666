from __future__ import annotations

from dataclasses import dataclass, field

from orders.status import OrderStatus, can_transition, parse_status


class TransitionError(Exception):
    pass


@dataclass
class Order:
    number: int
    status: OrderStatus = OrderStatus.NEW
    history: list = field(default_factory=list)

    def __post_init__(self) -> None:
        self.status = parse_status(self.status)

    def move_to(self, new_status: str | OrderStatus) -> None:
        target = parse_status(new_status)
        if not can_transition(self.status, target):
            raise TransitionError(f"order {self.number}: cannot go from {self.status} to {target}")
        self.history.append((self.status, target))
        self.status = target
