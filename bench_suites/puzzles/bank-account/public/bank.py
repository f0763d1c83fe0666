"""A bank account that can be used from many threads."""

from __future__ import annotations


class BankAccount:
    """Starts closed; amounts are ints (cents)."""

    def __init__(self) -> None:
        self._balance = 0

    def open(self) -> None:
        return None

    def close(self) -> None:
        return None

    @property
    def balance(self) -> int:
        return -1

    def deposit(self, amount: int) -> None:
        return None

    def withdraw(self, amount: int) -> None:
        return None

    def transfer_to(self, other: BankAccount, amount: int) -> None:
        return None
