"""The cline adapter: its dialect on recorded cline conversations, and real cline runs through the proxy.

The end-to-end tests install the pinned cline once (cached in the agents dir) and run real sweeps in a
pytest subprocess (pytester) on the scripted backend: a perfect model must make the cells pass, a useless
one must make them fail without hanging, and every token the row reports must be in its call records.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest

from pytest_hybrid_eval.agents.cline import (
    ClineAgent,
    ClineDialect,
    parse_read_result,
    workspace_from_messages,
)
from pytest_hybrid_eval.agents.install import PINNED, agents_dir, install

REPO = Path(__file__).resolve().parents[1]
D6 = REPO / "bench_suites" / "refactors" / "d6-toposort"
WS = "/tmp/hev-x/workspace"
SYSTEM = {"role": "system", "content": f"You are Cline.\n<env>\n1. Platform: linux\n4. Working Directory: {WS}\n</env>"}
TOOLS = [{"type": "function", "function": {"name": n, "parameters": {}}} for n in ("read_files", "editor", "run_commands")]


def _call(message: dict, i: int = 0) -> dict:
    return json.loads(message["tool_calls"][i]["function"]["arguments"])


# -- dialect (no install needed) ----------------------------------------------------------------------


def test_workspace_comes_from_the_system_prompt() -> None:
    assert workspace_from_messages([SYSTEM, {"role": "user", "content": "x"}]) == WS
    assert workspace_from_messages([{"role": "user", "content": "Working Directory: /nope"}]) is None


def test_read_result_strips_line_numbers_and_marks_missing_files() -> None:
    raw = json.dumps([
        {"query": f"{WS}/a.py", "result": " 1 | def f():\n 2 |     return 1\n 3 | \n10 | # 7 | not a number", "success": True},
        {"query": f"{WS}/new.py", "result": "", "error": "ENOENT", "success": False},
        {"query": f"{WS}/empty.py", "result": "", "success": True},
    ])
    assert parse_read_result(raw) == {f"{WS}/a.py": "def f():\n    return 1\n\n# 7 | not a number",
                                      f"{WS}/new.py": None, f"{WS}/empty.py": ""}
    assert parse_read_result("not json") == {}


def test_dialect_reads_then_replaces_whole_files_then_stops() -> None:
    d = ClineDialect()
    files = {"calc.py": "def add(a, b):\n    return a + b\n", "pkg/new.py": "X = 1\n"}
    convo: list[dict] = [SYSTEM, {"role": "user", "content": "task"}]
    assert not d.is_done(convo)
    first = d.reply(convo, TOOLS, files, None)
    assert [c["function"]["name"] for c in first["tool_calls"]] == ["read_files"]
    assert _call(first) == {"files": [{"path": f"{WS}/calc.py"}, {"path": f"{WS}/pkg/new.py"}]}
    convo += [{**first, "tool_calls": [{**first["tool_calls"][0], "id": "r1"}]},
              {"role": "tool", "tool_call_id": "r1", "content": json.dumps([
                  {"query": f"{WS}/calc.py", "result": "1 | def add(a, b):\n2 |     return 0", "success": True},
                  {"query": f"{WS}/pkg/new.py", "result": "", "error": "ENOENT", "success": False}])}]
    assert not d.is_done(convo)
    second = d.reply(convo, TOOLS, files, None)
    assert [c["function"]["name"] for c in second["tool_calls"]] == ["editor", "editor"]
    assert _call(second, 0) == {"path": f"{WS}/calc.py", "old_text": "def add(a, b):\n    return 0",
                                "new_text": "def add(a, b):\n    return a + b"}
    assert _call(second, 1) == {"path": f"{WS}/pkg/new.py", "new_text": "X = 1\n"}
    ok = json.dumps({"query": "edit", "result": "Edited", "success": True})
    bad = json.dumps({"query": "edit", "result": "", "error": "no match", "success": False})
    calls = [{"id": f"e{i}", **c} for i, c in enumerate(second["tool_calls"])]
    done = [*convo, {**second, "tool_calls": calls}, {"role": "tool", "tool_call_id": "e0", "content": ok},
            {"role": "tool", "tool_call_id": "e1", "content": ok}]
    assert d.is_done(done)
    assert "tool_calls" not in d.done_message(done)
    # a failed edit is not "done": the model goes back to reading the file
    failed = [*done[:-1], {"role": "tool", "tool_call_id": "e1", "content": bad}]
    assert not d.is_done(failed)
    assert _call(d.reply(failed, TOOLS, files, None)) == _call(first)


def test_dialect_prefers_the_workspace_header_and_needs_the_editor() -> None:
    d = ClineDialect()
    reply = d.reply([{"role": "user", "content": "task"}], TOOLS, {"a.py": "x\n"}, "/w")
    assert _call(reply) == {"files": [{"path": "/w/a.py"}]}
    no_editor = d.reply([SYSTEM], TOOLS[:1], {"a.py": "x\n"}, None)
    assert "tool_calls" not in no_editor and no_editor["content"]


def test_missing_cline_is_not_installed_with_the_install_command(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HYBRID_EVAL_AGENTS_DIR", str(tmp_path / "empty"))
    agent = ClineAgent()
    assert agent.version() is None
    result = agent.run(None)  # type: ignore[arg-type]  # must not touch the context when not installed
    assert result.status == "not_installed"
    assert "hybrid-eval setup agents cline" in (result.reason or "")


# -- real cline, end to end ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def cline_agents_dir() -> Path:
    """Install the pinned cline once (a no-op when cached) and remember where, before pytester moves HOME."""
    install("cline")
    return agents_dir().resolve()


def _write_puzzle(root: Path) -> None:
    d = root / "suite" / "puzzles" / "vowels"
    for sub in ("public", "tests", "hidden", "reference", "decoy"):
        (d / sub).mkdir(parents=True)
    (d / "task.yaml").write_text(
        "id: vowels\nclass: puzzles\nfamily: puzzle\ndifficulty: easy\n"
        "prompt: Implement count_vowels(text) in vowels.py; it counts a, e, i, o, u in any case.\n"
        "editable: [vowels.py]\nagent_timeout_s: 90\ntest_timeout_s: 30\n")
    (d / "public" / "vowels.py").write_text("def count_vowels(text):\n    return 0\n")
    (d / "reference" / "vowels.py").write_text(
        "def count_vowels(text):\n    return sum(1 for ch in text.lower() if ch in 'aeiou')\n")
    (d / "decoy" / "vowels.py").write_text("def count_vowels(text):\n    return sum(1 for ch in text if ch in 'aeiou')\n")
    (d / "tests" / "test_vowels.py").write_text("from vowels import count_vowels\n\n\ndef test_lower():\n"
                                                "    assert count_vowels('banana') == 3\n")
    (d / "hidden" / "test_hidden_vowels.py").write_text(
        "from vowels import count_vowels\n\n\ndef test_upper():\n    assert count_vowels('AEIOU xyz') == 5\n\n\n"
        "def test_empty():\n    assert count_vowels('') == 0\n")


@pytest.fixture
def sweep(pytester: pytest.Pytester, cline_agents_dir: Path, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.setenv("HYBRID_EVAL_AGENTS_DIR", str(cline_agents_dir))
    _write_puzzle(pytester.path)
    shutil.copytree(D6, pytester.path / "suite" / "refactors" / "d6-toposort")
    (pytester.path / "sweep.yaml").write_text(
        f"name: cline-e2e\nagents: [cline]\nstrategies: [always-cloud]\nseeds: [1]\n"
        f"out_dir: {pytester.path / 'out'}\ntasks: {{roots: [suite]}}\n")
    # the adapter registers itself on import; this keeps the test independent of registry.py's imports
    pytester.makeconftest("import pytest_hybrid_eval.agents.cline  # noqa: F401\n")
    return pytester


def _run(p: pytest.Pytester, skill: str) -> tuple[pytest.RunResult, list[dict], float]:
    t0 = time.monotonic()
    res = p.runpytest_subprocess("suite", "--hybrid-config", "sweep.yaml", "-p", "no:randomly",
                                 "--hybrid-agents", "cline", "--hybrid-strategies", "always-cloud",
                                 "--hybrid-set", f"scripted.cloud.easy={skill}",
                                 "--hybrid-set", f"scripted.cloud.hard={skill}", timeout=600)
    raw = p.path / "out" / "raw.jsonl"
    rows = [json.loads(line) for line in raw.read_text().splitlines()] if raw.exists() else []
    return res, rows, time.monotonic() - t0


def _assert_tokens_match_records(row: dict) -> None:
    records = row["calls"]["records"]
    assert records, row
    for tier in ("local", "cloud"):
        mine = [r for r in records if r["choice"] == tier]
        assert row["calls"][tier] == len(mine)
        for key in ("prompt", "completion"):
            assert row["tokens"][tier][key] == sum(r["usage"][key] for r in mine), (tier, key)


def _cline_processes(root: Path) -> list[str]:
    """Command lines of live processes started from the cline install (a leaked daemon would show here)."""
    marker = str(root / "cline")
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if marker in cmd:
            found.append(f"{pid}: {cmd[:200]}")
    return found


def test_perfect_model_makes_cline_cells_pass(sweep: pytest.Pytester, cline_agents_dir: Path) -> None:
    res, rows, _ = _run(sweep, "1")
    res.assert_outcomes(passed=2)
    assert sorted(r["task_id"] for r in rows) == ["d6-toposort", "vowels"]
    for row in rows:
        assert row["passed"] and row["error"] == "none", row.get("reason")
        assert row["tests_passed"] == row["tests_total"] > 0
        assert row["provenance"]["agent_version"] == PINNED["cline"][2]
        # read_files, editor, final answer: all through the cell's proxy URL
        assert row["calls"]["cloud"] >= 3 and row["calls"]["local"] == 0
        assert row["tokens"]["cloud"]["prompt"] > 0 and row["tokens"]["cloud"]["completion"] > 0
        assert all(rec["cell_id"] == row["cell_id"] and rec["status"] == 200 for rec in row["calls"]["records"])
        _assert_tokens_match_records(row)
    assert _cline_processes(cline_agents_dir) == []


def test_useless_model_makes_cline_cells_fail_without_hanging(sweep: pytest.Pytester, cline_agents_dir: Path) -> None:
    res, rows, took = _run(sweep, "0")
    res.assert_outcomes(failed=2)
    assert len(rows) == 2
    for row in rows:
        # cline ran to its end (exit 0); only scoring says the decoy is wrong
        assert not row["passed"] and row["error"] == "none", row.get("reason")
        assert row["tests_total"] > 0 and row["tests_passed"] < row["tests_total"]
        assert row["agent_ms"] < 60_000
        _assert_tokens_match_records(row)
    assert took < 240
    assert _cline_processes(cline_agents_dir) == []
