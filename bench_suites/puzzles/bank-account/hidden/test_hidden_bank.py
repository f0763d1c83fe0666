import contextlib
import sys
import threading
import time

import pytest
from bank import BankAccount


def opened(amount=0):
    acc = BankAccount()
    acc.open()
    if amount:
        acc.deposit(amount)
    return acc


@pytest.fixture
def fast_switching():
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(old)


def run_threads(targets, timeout=5.0):
    threads = [threading.Thread(target=t, daemon=True) for t in targets]
    for t in threads:
        t.start()
    deadline = time.monotonic() + timeout
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    assert not any(t.is_alive() for t in threads), "threads did not finish (deadlock?)"


def test_open_twice_and_close_twice():
    acc = opened()
    with pytest.raises(ValueError, match="account already open"):
        acc.open()
    acc.close()
    with pytest.raises(ValueError, match="account not open"):
        acc.close()
    with pytest.raises(ValueError, match="account not open"):
        _ = acc.balance


def test_reopen_starts_at_zero():
    acc = opened(700)
    acc.close()
    acc.open()
    assert acc.balance == 0


def test_closed_account_checked_before_amount():
    acc = BankAccount()
    with pytest.raises(ValueError, match="account not open"):
        acc.withdraw(-1)
    with pytest.raises(ValueError, match="account not open"):
        acc.deposit("x")


@pytest.mark.parametrize("bad", [1.5, "10", True, None])
def test_amount_type(bad):
    acc = opened(100)
    with pytest.raises(TypeError, match="amount must be an int"):
        acc.deposit(bad)
    with pytest.raises(TypeError, match="amount must be an int"):
        acc.withdraw(bad)
    assert acc.balance == 100


@pytest.mark.parametrize("bad", [0, -3])
def test_amount_positive(bad):
    acc = opened(100)
    with pytest.raises(ValueError, match="amount must be positive"):
        acc.deposit(bad)
    with pytest.raises(ValueError, match="amount must be positive"):
        acc.withdraw(bad)


def test_withdraw_entire_balance():
    acc = opened(42)
    acc.withdraw(42)
    assert acc.balance == 0


def test_transfer_moves_money():
    a, b = opened(100), opened(5)
    a.transfer_to(b, 60)
    assert (a.balance, b.balance) == (40, 65)


def test_transfer_errors_change_nothing():
    a, b = opened(100), opened(5)
    with pytest.raises(ValueError, match="insufficient funds"):
        a.transfer_to(b, 101)
    with pytest.raises(ValueError, match="cannot transfer to the same account"):
        a.transfer_to(a, 1)
    c = BankAccount()
    with pytest.raises(ValueError, match="account not open"):
        a.transfer_to(c, 1)
    with pytest.raises(ValueError, match="amount must be positive"):
        a.transfer_to(b, 0)
    assert (a.balance, b.balance) == (100, 5)


def test_concurrent_deposits_and_withdrawals_lose_nothing(fast_switching):
    acc = opened(10_000)

    def depositor():
        for _ in range(2000):
            acc.deposit(3)

    def withdrawer():
        for _ in range(2000):
            acc.withdraw(2)

    run_threads([depositor, depositor, withdrawer, withdrawer])
    assert acc.balance == 10_000 + 2 * 2000 * 3 - 2 * 2000 * 2


def test_concurrent_withdrawals_never_overdraw(fast_switching):
    acc = opened(500)
    ok = []

    def taker():
        for _ in range(300):
            try:
                acc.withdraw(1)
                ok.append(1)
            except ValueError:
                pass

    run_threads([taker] * 4)
    assert len(ok) == 500
    assert acc.balance == 0


def test_opposite_transfers_do_not_deadlock_and_conserve_money(fast_switching):
    a, b = opened(1000), opened(1000)

    def a_to_b():
        for _ in range(3000):
            with contextlib.suppress(ValueError):
                a.transfer_to(b, 1)

    def b_to_a():
        for _ in range(3000):
            with contextlib.suppress(ValueError):
                b.transfer_to(a, 1)

    run_threads([a_to_b, b_to_a, a_to_b, b_to_a])
    assert a.balance + b.balance == 2000
