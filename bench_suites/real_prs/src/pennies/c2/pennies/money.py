"""A Money value object; amounts are integers of cents so that arithmetic is exact."""

from __future__ import annotations

import re
from dataclasses import dataclass

_AMOUNT = re.compile(r"^(-?)(\d+)(?:\.(\d{1,2}))?$")


class CurrencyMismatch(ValueError):
    """Two amounts in different currencies were combined; converting silently would hide a bug."""


@dataclass(frozen=True, order=False)
class Money:
    """An amount of ``cents`` minor units of ``currency`` (an ISO 4217 code such as "EUR")."""

    cents: int
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.cents, int) or isinstance(self.cents, bool):
            raise TypeError("cents must be an int; use Money.parse for decimal strings")
        if not re.fullmatch(r"[A-Z]{3}", self.currency):
            raise ValueError(f"currency must be a three-letter upper-case code, got {self.currency!r}")

    @classmethod
    def parse(cls, text: str, currency: str) -> Money:
        """Read "12", "12.3" or "-12.30" without going through float."""
        match = _AMOUNT.match(text.strip())
        if match is None:
            raise ValueError(f"not an amount: {text!r}")
        sign, whole, frac = match.groups()
        cents = int(whole) * 100 + int((frac or "0").ljust(2, "0"))
        return cls(-cents if sign else cents, currency)

    def _same(self, other: Money) -> None:
        if self.currency != other.currency:
            raise CurrencyMismatch(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.cents + other.cents, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.cents - other.cents, self.currency)

    def __mul__(self, factor: int) -> Money:
        if not isinstance(factor, int) or isinstance(factor, bool):
            return NotImplemented
        return Money(self.cents * factor, self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.cents < other.cents

    def allocate(self, ratios: list[int]) -> list[Money]:
        """Split into shares proportional to ``ratios`` (e.g. a bill shared 2:1:1)."""
        _check_ratios(ratios)
        if self.cents < 0:
            raise ValueError("only non-negative amounts can be allocated")
        total = sum(ratios)
        return [Money(self.cents * r // total, self.currency) for r in ratios]

    def __str__(self) -> str:
        sign = "-" if self.cents < 0 else ""
        whole, frac = divmod(abs(self.cents), 100)
        return f"{sign}{whole}.{frac:02d} {self.currency}"


def _check_ratios(ratios: list[int]) -> None:
    if not ratios:
        raise ValueError("allocate needs at least one ratio")
    if any(not isinstance(r, int) or r < 0 for r in ratios):
        raise ValueError("ratios must be non-negative integers")
    if sum(ratios) == 0:
        raise ValueError("at least one ratio must be positive")
