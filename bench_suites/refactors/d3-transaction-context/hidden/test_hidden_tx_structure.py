import ast
from pathlib import Path

import pytest
from bank.store import Store
from bank.tx import transaction

ROOT = Path(__file__).resolve().parent.parent
OPS = ast.parse((ROOT / "bank" / "ops.py").read_text(encoding="utf-8"))


def test_transaction_commits_on_success_and_yields_store():
    s = Store({"x": 1})
    with transaction(s) as got:
        assert got is s
        assert s.in_transaction
        s.data["x"] = 2
    assert s.data == {"x": 2}
    assert s.log == ["begin", "commit"]


def test_transaction_rolls_back_and_reraises():
    s = Store({"x": 1})
    with pytest.raises(LookupError), transaction(s):
        s.data["x"] = 99
        raise LookupError("boom")
    assert s.data == {"x": 1}
    assert s.log == ["begin", "rollback"]


def test_transaction_rolls_back_on_base_exceptions_too():
    s = Store({"x": 1})
    with pytest.raises(KeyboardInterrupt), transaction(s):
        s.data["x"] = 3
        raise KeyboardInterrupt
    assert s.data == {"x": 1}
    assert not s.in_transaction


def test_ops_have_no_try_blocks_and_use_the_context_manager():
    assert not [n for n in ast.walk(OPS) if isinstance(n, ast.Try)]
    for fn in (n for n in OPS.body if isinstance(n, ast.FunctionDef)):
        withs = [n for n in ast.walk(fn) if isinstance(n, ast.With)]
        assert withs, fn.name
        call = withs[0].items[0].context_expr
        assert isinstance(call, ast.Call) and getattr(call.func, "id", None) == "transaction", fn.name
        calls = {getattr(n.func, "attr", None) for n in ast.walk(fn) if isinstance(n, ast.Call)}
        assert not calls & {"begin", "commit", "rollback"}, fn.name
