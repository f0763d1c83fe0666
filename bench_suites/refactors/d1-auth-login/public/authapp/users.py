"""In-memory user records. Persistence is out of scope; the store only keeps objects by name."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class UserRecord:
    username: str
    salt: bytes
    password_hash: str          # hex digest
    failures: int = 0           # consecutive failed logins
    locked_until: float | None = None


class UserStore:
    def __init__(self) -> None:
        self._users: dict[str, UserRecord] = {}

    def get(self, username: str) -> UserRecord | None:
        return self._users.get(username)

    def add(self, record: UserRecord) -> None:
        if record.username in self._users:
            raise KeyError(record.username)
        self._users[record.username] = record

    def __contains__(self, username: str) -> bool:
        return username in self._users

    def __len__(self) -> int:
        return len(self._users)
