import pytest
from bank.ops import InsufficientFunds, close_account, deposit, transfer
from bank.store import Store


def test_deposit_commits():
    s = Store({"a": 5})
    assert deposit(s, "a", 10) == 15
    assert deposit(s, "b", 1) == 1
    assert s.data == {"a": 15, "b": 1}
    assert s.log == ["begin", "commit", "begin", "commit"]
    assert not s.in_transaction


def test_failed_transfer_rolls_back_partial_writes():
    s = Store({"a": 5, "b": 0})
    with pytest.raises(InsufficientFunds):
        transfer(s, "a", "b", 50)
    assert s.data == {"a": 5, "b": 0}
    assert s.log == ["begin", "rollback"]
    transfer(s, "a", "b", 5)
    assert s.data == {"a": 0, "b": 5}


def test_close_account_and_missing_account():
    s = Store({"a": 7, "b": 1})
    assert close_account(s, "a", "b") == 7
    assert s.data == {"b": 8}
    with pytest.raises(KeyError):
        close_account(s, "zzz", "b")
    assert s.data == {"b": 8}
    assert s.log[-2:] == ["begin", "rollback"]


def test_validation_happens_before_any_transaction():
    s = Store()
    with pytest.raises(ValueError):
        deposit(s, "a", 0)
    with pytest.raises(ValueError):
        transfer(s, "a", "b", -1)
    assert s.log == []
