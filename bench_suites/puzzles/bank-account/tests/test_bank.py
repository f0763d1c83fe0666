import pytest
from bank import BankAccount


@pytest.fixture
def account():
    acc = BankAccount()
    acc.open()
    return acc


def test_new_open_account_has_zero_balance(account):
    assert account.balance == 0


def test_deposit_and_withdraw(account):
    account.deposit(500)
    account.withdraw(120)
    assert account.balance == 380


def test_cannot_overdraw(account):
    account.deposit(10)
    with pytest.raises(ValueError, match="insufficient funds"):
        account.withdraw(11)
    assert account.balance == 10


def test_closed_account_rejects_operations():
    acc = BankAccount()
    with pytest.raises(ValueError, match="account not open"):
        acc.deposit(5)
