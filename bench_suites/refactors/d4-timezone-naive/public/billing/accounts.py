"""Account rows as the billing service receives them from the accounts API (JSON)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Account:
    id: int
    plan: str
    trial_started_at: datetime  # always timezone-aware, in UTC


def parse_account(data: dict[str, object]) -> Account:
    """The API sends ISO 8601 timestamps with an offset, e.g. "2026-03-01T09:30:00+00:00"."""
    return Account(
        id=int(str(data["id"])),
        plan=str(data["plan"]),
        trial_started_at=datetime.fromisoformat(str(data["trial_started_at"])),
    )
