import ast
import inspect
from datetime import date
from pathlib import Path

import reports.exporters as ex

ROOT = Path(__file__).resolve().parent.parent
SOURCE = (ROOT / "reports" / "exporters.py").read_text(encoding="utf-8")
TREE = ast.parse(SOURCE)


def _function(name):
    for node in TREE.body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return node
    raise AssertionError(f"no top-level function {name}")


def _called_names(fn):
    out = set()
    for node in ast.walk(fn):
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name):
                out.add(node.func.id)
            elif isinstance(node.func, ast.Attribute):
                out.add(node.func.attr)
    return out


def test_normalize_rows_behaviour():
    assert list(inspect.signature(ex.normalize_rows).parameters) == ["rows", "columns", "sort_by"]
    rows = [{"a": 1.234, "b": None}, {"a": True, "b": date(2020, 2, 2)}, {"b": "  x "}]
    assert ex.normalize_rows(rows, ["b", "a"]) == [["", "1.23"], ["2020-02-02", "yes"], ["x", ""]]
    assert ex.normalize_rows([{"k": 2}, {}, {"k": 1}], ["k"], sort_by="k") == [["1"], ["2"], [""]]


def test_both_exporters_use_the_helper():
    for name in ("export_csv", "export_markdown"):
        assert "normalize_rows" in _called_names(_function(name)), name


def test_duplicated_logic_is_gone():
    assert SOURCE.count(":.2f") == 1
    assert SOURCE.count("isoformat") == 1
    assert SOURCE.count("sorted(") == 1
    for name in ("export_csv", "export_markdown"):
        fn = _function(name)
        assert not any(isinstance(n, ast.For) for n in ast.walk(fn)), f"{name} still loops over rows itself"
