"""Robots with unique names handed out by a seeded factory."""

from __future__ import annotations

import random

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
DIGITS = "0123456789"


class Robot:
    """A robot; create it with RobotFactory.create()."""

    def __init__(self, factory: RobotFactory, name: str) -> None:
        self._factory = factory
        self._name = name

    @property
    def name(self) -> str:
        return self._name

    def reset(self) -> None:
        """Take a fresh name (never the current one), then release the old one."""
        new = self._factory._draw()  # the old name is still in use here, so it cannot come back
        self._factory._release(self._name)
        self._name = new


class RobotFactory:
    """Hands out unique names, drawn with its own random.Random(seed)."""

    def __init__(self, seed: int, letters: str = LETTERS, digits: str = DIGITS) -> None:
        self.rng = random.Random(seed)
        self.letters = letters
        self.digits = digits
        self._used: set[str] = set()
        self._capacity = len(letters) ** 2 * len(digits) ** 3

    def _draw(self) -> str:
        if len(self._used) >= self._capacity:
            raise RuntimeError("no names left")
        while True:
            name = "".join(self.rng.choice(self.letters) for _ in range(2)) + "".join(
                self.rng.choice(self.digits) for _ in range(3)
            )
            if name not in self._used:
                self._used.add(name)
                return name

    def _release(self, name: str) -> None:
        self._used.discard(name)

    def create(self) -> Robot:
        """A robot with a name not currently in use."""
        return Robot(self, self._draw())

    def names_in_use(self) -> set[str]:
        """Names currently held by this factory's robots."""
        return set(self._used)
