"""The profile table (a thin wrapper over the database client; each call is a network round trip)."""

from __future__ import annotations

from typing import Any, Protocol


class Database(Protocol):
    def fetch_one(self, sql: str, *args: Any) -> dict[str, Any] | None: ...
    def execute(self, sql: str, *args: Any) -> None: ...


def load_profile(db: Database, user_id: int) -> dict[str, Any] | None:
    return db.fetch_one("SELECT id, display_name, email, bio FROM profiles WHERE id = %s", user_id)


def save_email(db: Database, user_id: int, email: str) -> None:
    db.execute("UPDATE profiles SET email = %s WHERE id = %s", email, user_id)


def save_display_name(db: Database, user_id: int, name: str) -> None:
    db.execute("UPDATE profiles SET display_name = %s WHERE id = %s", name, user_id)


def delete_profile(db: Database, user_id: int) -> None:
    db.execute("DELETE FROM profiles WHERE id = %s", user_id)
