"""Clocks: anything callable returning seconds as a float."""

from __future__ import annotations

import time
from typing import Callable

Clock = Callable[[], float]


def system_clock() -> float:
    return time.time()


class ManualClock:
    """A clock that only moves when told to (for tests and simulations)."""

    def __init__(self, start: float = 0.0) -> None:
        self.now = float(start)

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
