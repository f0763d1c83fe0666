from __future__ import annotations

from dataclasses import dataclass, field

from orders.status import STATUS_NEW, can_transition, parse_status


class TransitionError(Exception):
    pass


@dataclass
class Order:
    number: int
    status: str = STATUS_NEW
    history: list = field(default_factory=list)

    def move_to(self, new_status: str) -> None:
        target = parse_status(new_status)
        if not can_transition(self.status, target):
            raise TransitionError(f"order {self.number}: cannot go from {self.status} to {target}")
        self.history.append((self.status, target))
        self.status = target
