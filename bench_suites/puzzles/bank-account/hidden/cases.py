"""Checks for bank-account, run by the cases scorer. Each case returns what it observed (values, or
``attempt(...)`` results for calls that should raise); the ``expect=`` literals are stripped before this file
enters the sandbox and compared outside it."""

import contextlib
import sys
import threading
import time

from bank import BankAccount
from hybrid_cases import attempt, case, raised


def opened(amount=0):
    acc = BankAccount()
    acc.open()
    if amount:
        acc.deposit(amount)
    return acc


def balance(acc):
    return attempt(lambda: acc.balance)


def run_threads(targets, timeout=5.0):
    """Run the targets with a tiny switch interval; True when every thread finished (no deadlock)."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=t, daemon=True) for t in targets]
        for t in threads:
            t.start()
        deadline = time.monotonic() + timeout
        for t in threads:
            t.join(max(0.0, deadline - time.monotonic()))
        return not any(t.is_alive() for t in threads)
    finally:
        sys.setswitchinterval(old)


# -- the visible tests, repeated: the verdict comes only from here --------------------------------------


@case(expect=0)
def visible_new_open_account_has_zero_balance():
    return opened().balance


@case(expect=380)
def visible_deposit_and_withdraw():
    acc = opened()
    acc.deposit(500)
    acc.withdraw(120)
    return acc.balance


@case(expect=[raised("ValueError", "insufficient funds"), 10])
def visible_cannot_overdraw():
    acc = opened(10)
    return [attempt(acc.withdraw, 11), acc.balance]


@case(expect=[raised("ValueError", "account not open"), 0])
def visible_closed_account_rejects_operations():
    acc = BankAccount()
    first = attempt(acc.deposit, 5)
    acc.open()
    return [first, acc.balance]


# -- hidden --------------------------------------------------------------------------------------------


@case(expect=[raised("ValueError", "account already open"), None, raised("ValueError", "account not open"),
              raised("ValueError", "account not open")])
def open_twice_and_close_twice():
    acc = opened()
    return [attempt(acc.open), acc.close(), attempt(acc.close), balance(acc)]


@case(expect=0)
def reopen_starts_at_zero():
    acc = opened(700)
    acc.close()
    acc.open()
    return acc.balance


@case(expect=[raised("ValueError", "account not open"), raised("ValueError", "account not open")])
def closed_account_checked_before_amount():
    acc = BankAccount()
    return [attempt(acc.withdraw, -1), attempt(acc.deposit, "x")]


@case(expect=[[raised("TypeError", "amount must be an int"), raised("TypeError", "amount must be an int"), 100]] * 4)
def amount_type():
    out = []
    for bad in (1.5, "10", True, None):
        acc = opened(100)
        out.append([attempt(acc.deposit, bad), attempt(acc.withdraw, bad), acc.balance])
    return out


@case(expect=[[raised("ValueError", "amount must be positive"), raised("ValueError", "amount must be positive")]] * 2)
def amount_positive():
    out = []
    for bad in (0, -3):
        acc = opened(100)
        out.append([attempt(acc.deposit, bad), attempt(acc.withdraw, bad)])
    return out


@case(expect=0)
def withdraw_entire_balance():
    acc = opened(42)
    acc.withdraw(42)
    return acc.balance


@case(expect=(40, 65))
def transfer_moves_money():
    a, b = opened(100), opened(5)
    a.transfer_to(b, 60)
    return (a.balance, b.balance)


@case(expect=[raised("ValueError", "insufficient funds"), raised("ValueError", "cannot transfer to the same account"),
              raised("ValueError", "account not open"), raised("ValueError", "amount must be positive"), (100, 5)])
def transfer_errors_change_nothing():
    a, b = opened(100), opened(5)
    c = BankAccount()
    return [attempt(a.transfer_to, b, 101), attempt(a.transfer_to, a, 1), attempt(a.transfer_to, c, 1),
            attempt(a.transfer_to, b, 0), (a.balance, b.balance)]


@case(expect=[True, 10_000 + 2 * 2000 * 3 - 2 * 2000 * 2], timeout=20)
def concurrent_deposits_and_withdrawals_lose_nothing():
    acc = opened(10_000)

    def depositor():
        for _ in range(2000):
            acc.deposit(3)

    def withdrawer():
        for _ in range(2000):
            acc.withdraw(2)

    if not run_threads([depositor, depositor, withdrawer, withdrawer]):
        return "deadlock: the threads did not finish"
    return [True, acc.balance]


@case(expect=[True, 500, 0], timeout=20)
def concurrent_withdrawals_never_overdraw():
    acc = opened(500)
    ok = []

    def taker():
        for _ in range(300):
            try:
                acc.withdraw(1)
                ok.append(1)
            except ValueError:
                pass

    if not run_threads([taker] * 4):
        return "deadlock: the threads did not finish"
    return [True, len(ok), acc.balance]


@case(expect=[True, 2000], timeout=20)
def opposite_transfers_do_not_deadlock_and_conserve_money():
    a, b = opened(1000), opened(1000)

    def a_to_b():
        for _ in range(3000):
            with contextlib.suppress(ValueError):
                a.transfer_to(b, 1)

    def b_to_a():
        for _ in range(3000):
            with contextlib.suppress(ValueError):
                b.transfer_to(a, 1)

    if not run_threads([a_to_b, b_to_a, a_to_b, b_to_a]):
        return "deadlock: the threads did not finish"  # reading a balance now could block on a held lock
    return [True, a.balance + b.balance]
