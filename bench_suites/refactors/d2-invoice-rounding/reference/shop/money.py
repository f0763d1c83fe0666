"""Money helpers. Amounts are whatever these functions return; callers only pass them back in here.

Amounts are exact decimals; every rounding is to the cent, half up (away from zero), as our
accountant requires.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def parse_amount(text: str) -> Decimal:
    """"19.99" -> an amount."""
    return Decimal(text.strip())


def round_cents(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def times(amount: Decimal, quantity: int) -> Decimal:
    """Amount for `quantity` units, rounded to the cent."""
    return round_cents(amount * quantity)


def percent_of(amount: Decimal, percent: str) -> Decimal:
    """`percent` % of `amount` (percent given as text, e.g. "21" or "7.5"), rounded to the cent."""
    return round_cents(amount * Decimal(percent) / 100)


def add(*amounts: Decimal) -> Decimal:
    return round_cents(sum(amounts, Decimal(0)))


def fmt(amount: Decimal) -> str:
    """Two decimals, no currency sign: "1234.50"."""
    return f"{round_cents(amount):.2f}"
