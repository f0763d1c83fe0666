from __future__ import annotations


class UserDirectory:
    def __init__(self) -> None:
        self.rows: list[dict] = []

    def insert(self, row: dict) -> int:
        self.rows.append(dict(row))
        return len(self.rows)
