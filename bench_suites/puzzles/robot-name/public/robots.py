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
        return ""

    def reset(self) -> None:
        """Take a fresh name (never the current one), then release the old one."""
        return None


class RobotFactory:
    """Hands out unique names, drawn with its own random.Random(seed)."""

    def __init__(self, seed: int, letters: str = LETTERS, digits: str = DIGITS) -> None:
        self.rng = random.Random(seed)
        self.letters = letters
        self.digits = digits

    def create(self) -> Robot:
        """A robot with a name not currently in use."""
        return None

    def names_in_use(self) -> set[str]:
        """Names currently held by this factory's robots."""
        return set()
