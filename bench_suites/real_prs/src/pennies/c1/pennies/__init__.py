"""pennies: exact money arithmetic in minor units."""

from pennies.money import CurrencyMismatch, Money

__all__ = ["CurrencyMismatch", "Money"]
