"""A bank account that can be used from many threads."""

from __future__ import annotations

import itertools
import threading

_serial = itertools.count()


class BankAccount:
    """Starts closed; amounts are ints (cents)."""

    def __init__(self) -> None:
        self._balance = 0
        self._open = False
        self._lock = threading.RLock()
        self._order = next(_serial)  # global lock order for transfers

    # -- helpers (call with the lock held) ---------------------------------------------------------
    def _require_open(self) -> None:
        if not self._open:
            raise ValueError("account not open")

    @staticmethod
    def _check_amount(amount: object) -> None:
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise TypeError("amount must be an int")
        if amount <= 0:
            raise ValueError("amount must be positive")

    # -- API ---------------------------------------------------------------------------------------
    def open(self) -> None:
        with self._lock:
            if self._open:
                raise ValueError("account already open")
            self._open = True
            self._balance = 0

    def close(self) -> None:
        with self._lock:
            self._require_open()
            self._open = False
            self._balance = 0

    @property
    def balance(self) -> int:
        with self._lock:
            self._require_open()
            return self._balance

    def deposit(self, amount: int) -> None:
        with self._lock:
            self._require_open()
            self._check_amount(amount)
            self._balance += amount

    def withdraw(self, amount: int) -> None:
        with self._lock:
            self._require_open()
            self._check_amount(amount)
            if amount > self._balance:
                raise ValueError("insufficient funds")
            self._balance -= amount

    def transfer_to(self, other: BankAccount, amount: int) -> None:
        if other is self:
            raise ValueError("cannot transfer to the same account")
        first, second = sorted((self, other), key=lambda a: a._order)
        with first._lock, second._lock:
            self._require_open()
            other._require_open()
            self._check_amount(amount)
            if amount > self._balance:
                raise ValueError("insufficient funds")
            self._balance -= amount
            other._balance += amount
