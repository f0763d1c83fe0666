"""An in-memory key-value store with begin/commit/rollback (one transaction at a time)."""

from __future__ import annotations


class TransactionError(RuntimeError):
    pass


class Store:
    def __init__(self, data: dict | None = None) -> None:
        self.data: dict[str, int] = dict(data or {})
        self._snapshot: dict[str, int] | None = None
        self.log: list[str] = []

    @property
    def in_transaction(self) -> bool:
        return self._snapshot is not None

    def begin(self) -> None:
        if self._snapshot is not None:
            raise TransactionError("transaction already open")
        self._snapshot = dict(self.data)
        self.log.append("begin")

    def commit(self) -> None:
        if self._snapshot is None:
            raise TransactionError("no open transaction")
        self._snapshot = None
        self.log.append("commit")

    def rollback(self) -> None:
        if self._snapshot is None:
            raise TransactionError("no open transaction")
        self.data = self._snapshot
        self._snapshot = None
        self.log.append("rollback")
