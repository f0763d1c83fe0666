from __future__ import annotations

from bank.store import Store


class InsufficientFunds(Exception):
    pass


def deposit(store: Store, account: str, amount: int) -> int:
    if amount <= 0:
        raise ValueError("amount must be positive")
    store.begin()
    try:
        store.data[account] = store.data.get(account, 0) + amount
        balance = store.data[account]
        store.commit()
    except BaseException:
        store.rollback()
        raise
    return balance


def transfer(store: Store, src: str, dst: str, amount: int) -> None:
    if amount <= 0:
        raise ValueError("amount must be positive")
    store.begin()
    try:
        store.data[dst] = store.data.get(dst, 0) + amount
        if store.data.get(src, 0) < amount:
            raise InsufficientFunds(src)
        store.data[src] -= amount
        store.commit()
    except BaseException:
        store.rollback()
        raise


def close_account(store: Store, account: str, into: str) -> int:
    store.begin()
    try:
        balance = store.data.pop(account)
        store.data[into] = store.data.get(into, 0) + balance
        store.commit()
    except BaseException:
        store.rollback()
        raise
    return balance
