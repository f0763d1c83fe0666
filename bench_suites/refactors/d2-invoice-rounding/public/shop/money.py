"""Money helpers. Amounts are whatever these functions return; callers only pass them back in here."""

from __future__ import annotations


def parse_amount(text: str):
    """"19.99" -> an amount."""
    return float(text)


def round_cents(value):
    return round(value, 2)


def times(amount, quantity: int):
    """Amount for `quantity` units, rounded to the cent."""
    return round_cents(amount * quantity)


def percent_of(amount, percent: str):
    """`percent` % of `amount` (percent given as text, e.g. "21" or "7.5"), rounded to the cent."""
    return round_cents(amount * float(percent) / 100)


def add(*amounts):
    return round_cents(sum(amounts))


def fmt(amount) -> str:
    """Two decimals, no currency sign: "1234.50"."""
    return f"{amount:.2f}"
