"""Free-trial rules: a trial lasts TRIAL_DAYS from the moment it started."""

from __future__ import annotations

from datetime import datetime, timedelta

from billing.accounts import Account

TRIAL_DAYS = 14


def trial_ends_at(account: Account) -> datetime:
    return account.trial_started_at + timedelta(days=TRIAL_DAYS)


def trial_expired(account: Account) -> bool:
    """True once the trial is over; the nightly job downgrades these accounts."""
    return datetime.now() >= trial_ends_at(account)


def trial_days_left(account: Account) -> int:
    """Whole days left, shown in the banner "Your trial ends in N days"."""
    return (trial_ends_at(account) - datetime.now()).days
