"""A user's own tests as cells: ``hybrid_cell`` (parametrized by the plugin) and ``hybrid_proxy``, with xdist.

Each run is a pytester subprocess, because the plugin starts the proxy and the scripted server.
"""

from __future__ import annotations

import json
import textwrap

import pytest

USER_TESTS = textwrap.dedent('''\
    import pytest


    @pytest.mark.hybrid_task(reference="right answer", decoy="wrong answer", difficulty="easy")
    def test_asks(hybrid_cell):
        assert hybrid_cell.chat("a question") == "right answer"


    @pytest.mark.parametrize("n", [1, 2])
    @pytest.mark.hybrid_task(reference="yes", decoy="no")
    def test_params(hybrid_cell, n):
        assert hybrid_cell.chat(f"question {n}") == "yes"


    @pytest.mark.hybrid_task(reference="4", decoy="5")
    def test_routes_to_cloud(hybrid_proxy):
        cell = hybrid_proxy.cell("always-cloud")
        assert cell.chat("2 + 2?") == "4"
        assert [d.choice for d in hybrid_proxy.decisions(cell.id)] == ["cloud"]
        assert cell.usage().cloud_calls == 1
    ''')


def _setup(p: pytest.Pytester, **cfg: str) -> None:
    lines = {"name": "t", "agents": "[builtin]", "strategies": "[always-local, always-cloud]", "seeds": "[7]",
             "out_dir": str(p.path / "out"), "tasks": "{roots: [suite]}",
             # local always wrong, cloud always right: every outcome is known in advance
             "scripted": "{local: {easy: 0, medium: 0, hard: 0}, cloud: {easy: 1, medium: 1, hard: 1}}", **cfg}
    (p.path / "sweep.yaml").write_text("".join(f"{k}: {v}\n" for k, v in lines.items()))
    (p.path / "suite").mkdir()


def _rows(p: pytest.Pytester) -> dict[str, dict]:
    raw = p.path / "out" / "raw.jsonl"
    return {r["cell_id"]: r for r in map(json.loads, raw.read_text().splitlines())} if raw.exists() else {}


def test_user_tests_become_rows_under_xdist(pytester: pytest.Pytester) -> None:
    _setup(pytester)
    (pytester.path / "suite" / "test_user.py").write_text(USER_TESTS)
    res = pytester.runpytest_subprocess("suite", "--hybrid-config", "sweep.yaml", "-n", "2", "-p", "no:randomly")
    res.assert_outcomes(passed=4, failed=3)
    rows = _rows(pytester)
    assert sorted(rows) == sorted([
        "test_asks.pytest.always-local.s7", "test_asks.pytest.always-cloud.s7",
        "test_params-1.pytest.always-local.s7", "test_params-1.pytest.always-cloud.s7",
        "test_params-2.pytest.always-local.s7", "test_params-2.pytest.always-cloud.s7",
        "test_routes_to_cloud.pytest.always-cloud.s7",
    ])
    for cid, r in rows.items():
        cloud = r["strategy"] == "always-cloud"
        assert r["passed"] is cloud and r["error"] == "none", cid
        assert (r["task_class"], r["agent"], r["family"], r["tests_total"]) == ("tests", "pytest", "test_user", 1)
        assert r["calls"]["cloud" if cloud else "local"] == 1 and r["calls"]["local" if cloud else "cloud"] == 0
        assert r["tokens"]["cloud" if cloud else "local"]["prompt"] > 0
        assert r["provenance"]["backend"] == "scripted" and r["provenance"]["sandbox_kind"] == "none"
    assert rows["test_asks.pytest.always-local.s7"]["difficulty"] == "easy"
    assert "assert 'wrong answer' == 'right answer'" in rows["test_asks.pytest.always-local.s7"]["reason"]
    out = res.stdout.str()
    assert "tests      pytest     always-cloud" in out and "tests      pytest     always-local" in out


def test_fixtures_outside_a_sweep_and_clashing_names_are_one_line_errors(pytester: pytest.Pytester) -> None:
    _setup(pytester)
    (pytester.path / "elsewhere").mkdir()
    (pytester.path / "elsewhere" / "test_x.py").write_text("def test_x(hybrid_proxy):\n    pass\n")
    res = pytester.runpytest_subprocess("elsewhere", "--hybrid-config", "sweep.yaml", "-p", "no:randomly")
    res.assert_outcomes(errors=1)
    res.stdout.fnmatch_lines(["*the routing proxy is not running in this run*tasks.roots*"])
    for sub in ("a", "b"):
        (pytester.path / "suite" / sub).mkdir()
        (pytester.path / "suite" / sub / f"test_{sub}.py").write_text("def test_same(hybrid_cell):\n    pass\n")
    res = pytester.runpytest_subprocess("suite", "--hybrid-config", "sweep.yaml", "-p", "no:randomly")
    assert res.ret == pytest.ExitCode.USAGE_ERROR
    res.stderr.fnmatch_lines(["*two tests share the task id 'test_same'*rename one of them*"])
    assert not _rows(pytester)
