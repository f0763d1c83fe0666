"""Checks for d3-transaction-context, run by the cases scorer: behaviour cases return what they observed (the
``expect=`` literals are stripped before this file enters the sandbox); the structural check of bank/ops.py
reads its source on the harness's side (``verdicts.py``), never an inspection made in here."""

from bank.ops import close_account, deposit, transfer
from bank.store import Store
from hybrid_cases import attempt, case, raised


def transaction(store):
    from bank.tx import transaction as tx  # imported here, so the visible cases run before bank/tx.py exists

    return tx(store)


# -- the visible tests, repeated: the verdict comes only from here --------------------------------------


@case(expect=[15, 1, {"a": 15, "b": 1}, ["begin", "commit", "begin", "commit"], False])
def visible_deposit_commits():
    s = Store({"a": 5})
    return [deposit(s, "a", 10), deposit(s, "b", 1), s.data, s.log, s.in_transaction]


@case(expect=[raised("InsufficientFunds"), {"a": 5, "b": 0}, ["begin", "rollback"], {"a": 0, "b": 5}])
def visible_failed_transfer_rolls_back_partial_writes():
    s = Store({"a": 5, "b": 0})
    out = [attempt(transfer, s, "a", "b", 50), dict(s.data), list(s.log)]
    transfer(s, "a", "b", 5)
    out.append(s.data)
    return out


@case(expect=[7, {"b": 8}, raised("KeyError"), {"b": 8}, ["begin", "rollback"]])
def visible_close_account_and_missing_account():
    s = Store({"a": 7, "b": 1})
    out = [close_account(s, "a", "b"), dict(s.data)]
    out += [attempt(close_account, s, "zzz", "b"), s.data, s.log[-2:]]
    return out


@case(expect=[raised("ValueError"), raised("ValueError"), []])
def visible_validation_happens_before_any_transaction():
    s = Store()
    return [attempt(deposit, s, "a", 0), attempt(transfer, s, "a", "b", -1), s.log]


# -- hidden --------------------------------------------------------------------------------------------


@case(expect=[True, True, {"x": 2}, ["begin", "commit"]])
def transaction_commits_on_success_and_yields_store():
    s = Store({"x": 1})
    with transaction(s) as got:
        inside = [got is s, s.in_transaction]  # identity: no object can fake `is`
        s.data["x"] = 2
    return [*inside, s.data, s.log]


@case(expect=[raised("LookupError"), {"x": 1}, ["begin", "rollback"]])
def transaction_rolls_back_and_reraises():
    s = Store({"x": 1})

    def block():
        with transaction(s):
            s.data["x"] = 99
            raise LookupError("boom")

    return [attempt(block), s.data, s.log]


@case(expect=["KeyboardInterrupt propagated", {"x": 1}, False])
def transaction_rolls_back_on_base_exceptions_too():
    s = Store({"x": 1})
    # `attempt` records Exception subclasses only, so the KeyboardInterrupt is caught here, by class; anything
    # else that escapes the block fails the case, and a swallowed interrupt is observed as None
    outcome = None
    try:
        with transaction(s):
            s.data["x"] = 3
            raise KeyboardInterrupt
    except KeyboardInterrupt:
        outcome = "KeyboardInterrupt propagated"
    return [outcome, s.data, s.in_transaction]


@case(check="ops_use_the_context_manager")
def ops_have_no_try_blocks_and_use_the_context_manager():
    return None  # judged from bank/ops.py's source, on the harness's side
