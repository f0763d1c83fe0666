from __future__ import annotations

from bank.store import Store
from bank.tx import transaction


class InsufficientFunds(Exception):
    pass


def deposit(store: Store, account: str, amount: int) -> int:
    if amount <= 0:
        raise ValueError("amount must be positive")
    with transaction(store):
        store.data[account] = store.data.get(account, 0) + amount
        return store.data[account]


def transfer(store: Store, src: str, dst: str, amount: int) -> None:
    if amount <= 0:
        raise ValueError("amount must be positive")
    with transaction(store):
        store.data[dst] = store.data.get(dst, 0) + amount
        if store.data.get(src, 0) < amount:
            raise InsufficientFunds(src)
        store.data[src] -= amount


def close_account(store: Store, account: str, into: str) -> int:
    with transaction(store):
        balance = store.data.pop(account)
        store.data[into] = store.data.get(into, 0) + balance
    return balance
