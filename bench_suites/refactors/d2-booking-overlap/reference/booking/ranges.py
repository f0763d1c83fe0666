"""Stays as date ranges: `start` is the check-in day, `end` the check-out day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Stay:
    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError("a stay lasts at least one night (end must be after start)")

    @property
    def nights(self) -> int:
        return (self.end - self.start).days

    def days(self) -> list[date]:
        """The nights of the stay, by the date of the evening."""
        return [self.start + timedelta(days=i) for i in range(self.nights)]

    def overlaps(self, other: "Stay") -> bool:
        """True when the two stays need the same room on at least one night."""
        return self.start < other.end and other.start < self.end

    def includes_night(self, day: date) -> bool:
        return self.start <= day < self.end
