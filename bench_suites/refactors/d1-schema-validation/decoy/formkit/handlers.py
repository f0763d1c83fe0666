from __future__ import annotations

from formkit.schemas import USER_SCHEMA
from formkit.store import UserDirectory
from formkit.validate import validate


def create_user(directory: UserDirectory, request: dict) -> dict:
    """Handle a "create user" request body."""
    issues = validate(USER_SCHEMA, request)
    if issues:
        return {"status": 400, "errors": [issue.as_dict() for issue in issues]}
    new_id = directory.insert(request)
    return {"status": 201, "id": new_id}
