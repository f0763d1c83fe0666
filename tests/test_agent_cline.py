"""The cline adapter: its dialect on recorded cline conversations, and real cline runs through the proxy.

The end-to-end tests install the pinned cline once (cached in the agents dir) and run real sweeps in a
pytest subprocess (pytester) on the scripted backend: a perfect model must make the cells pass, a useless
one must make them fail without hanging, and every token the row reports must be in its call records.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_hybrid_eval.agents.cline import (
    ClineAgent,
    ClineDialect,
    parse_read_result,
    workspace_from_messages,
)
from tests.agent_sweep import AgentSweep

SWEEP = AgentSweep("cline", "pytest_hybrid_eval.agents.cline", "cline-e2e", "vowels")
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
    SWEEP.assert_not_installed(ClineAgent, tmp_path / "empty", monkeypatch)


# -- real cline, end to end ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def cline_agents_dir() -> Path:
    """Install the pinned cline once (a no-op when cached) and remember where, before pytester moves HOME."""
    return SWEEP.install()


@pytest.fixture
def sweep(pytester: pytest.Pytester, cline_agents_dir: Path, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    return SWEEP.prepare(pytester, monkeypatch, cline_agents_dir)


def test_perfect_model_makes_cline_cells_pass(sweep: pytest.Pytester, cline_agents_dir: Path) -> None:
    for row in SWEEP.assert_cells_pass(sweep):
        # read_files, editor, final answer: all through the cell's proxy URL
        assert row["calls"]["cloud"] >= 3 and row["calls"]["local"] == 0
        assert row["tokens"]["cloud"]["prompt"] > 0 and row["tokens"]["cloud"]["completion"] > 0
    assert SWEEP.leftover_processes(cline_agents_dir) == []


def test_useless_model_makes_cline_cells_fail_without_hanging(sweep: pytest.Pytester, cline_agents_dir: Path) -> None:
    # cline runs to its end (exit 0); only scoring says the decoy is wrong
    SWEEP.assert_cells_fail(sweep, agent_ms_under=60_000, within_s=240)
    assert SWEEP.leftover_processes(cline_agents_dir) == []
