"""The transaction context manager: commit on success, roll back and re-raise on any exception."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from bank.store import Store


@contextmanager
def transaction(store: Store) -> Iterator[Store]:
    store.begin()
    try:
        yield store
    except BaseException:
        store.rollback()
        raise
    store.commit()
