"""Web handlers for profile pages."""

from __future__ import annotations

from typing import Any

from profiles import service
from profiles.store import Database


def profile_page(db: Database, user_id: int, viewer_id: int | None) -> dict[str, Any] | None:
    profile = service.get_profile(db, user_id)
    if profile is None:
        return None
    if viewer_id != user_id:
        profile.pop("email", None)  # other users must not see the address
    return profile
