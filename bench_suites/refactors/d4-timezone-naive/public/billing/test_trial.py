from datetime import datetime, timedelta

from billing.accounts import Account
from billing.trial import trial_days_left, trial_expired


def test_new_trial_is_not_expired():
    account = Account(1, "pro", datetime.now())
    assert not trial_expired(account)
    assert trial_days_left(account) == 13


def test_old_trial_is_expired():
    account = Account(2, "pro", datetime.now() - timedelta(days=20))
    assert trial_expired(account)
