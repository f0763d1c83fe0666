from __future__ import annotations

from formkit.store import UserDirectory


def create_user(directory: UserDirectory, request: dict) -> dict:
    """Handle a "create user" request body."""
    new_id = directory.insert(request)
    return {"status": 201, "id": new_id}
