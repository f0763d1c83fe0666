"""Profile operations used by the web handlers and the mailer."""

from __future__ import annotations

from typing import Any

from profiles import store

# Profile pages are the hottest read path; keep profiles in memory to spare the database.
_cache: dict[int, dict[str, Any]] = {}


def get_profile(db: store.Database, user_id: int) -> dict[str, Any] | None:
    if user_id in _cache:
        return _cache[user_id]
    profile = store.load_profile(db, user_id)
    if profile is not None:
        _cache[user_id] = profile
    return profile


def change_email(db: store.Database, user_id: int, email: str) -> None:
    if "@" not in email:
        raise ValueError(f"not an email address: {email!r}")
    store.save_email(db, user_id, email)


def rename(db: store.Database, user_id: int, name: str) -> None:
    store.save_display_name(db, user_id, name.strip())


def delete_account(db: store.Database, user_id: int) -> None:
    store.delete_profile(db, user_id)


def notification_address(db: store.Database, user_id: int) -> str | None:
    """Where the mailer sends password resets and notifications."""
    profile = get_profile(db, user_id)
    return None if profile is None else profile["email"]
