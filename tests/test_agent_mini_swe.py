"""mini-swe-agent as a real cell: the installed CLI runs through the routing proxy against the scripted backend.

The suite (one small puzzle written here + a copy of the d6-toposort refactor) runs in a pytester
subprocess, so the proxy, the backend threads and the agent processes cannot leak into this process.
The first run installs mini-swe-agent into the agents cache (about a minute here); later runs reuse it.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from pytest_hybrid_eval.agents.mini_swe_agent import MiniSweDialect, write_files_script
from tests.agent_sweep import AgentSweep

SWEEP = AgentSweep("mini-swe-agent", "pytest_hybrid_eval.agents.mini_swe_agent", "mini-e2e", "rle-codec",
                   register_in_hook=True)


@pytest.fixture(scope="session")
def mini_installed() -> Path:
    """Install (or find) the pinned mini-swe-agent once per test session; returns the agents dir it lives in."""
    return SWEEP.install()


@pytest.fixture
def suite(pytester: pytest.Pytester, mini_installed: Path, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    return SWEEP.prepare(pytester, monkeypatch, mini_installed)


def check_calls(row: dict) -> None:
    """One write call, one submit call; mini's trajectory agrees with the proxy."""
    records = row["calls"]["records"]
    assert row["calls"]["cloud"] == len(records) == 2
    assert row["agent_turns"] == 2
    assert records[1]["usage"]["prompt"] > records[0]["usage"]["prompt"]  # the tool result came back


def test_mini_cells_pass_at_full_skill(suite: pytest.Pytester) -> None:
    for row in SWEEP.assert_cells_pass(suite, within_s=300):
        check_calls(row)


def test_mini_cells_fail_without_hanging_at_zero_skill(suite: pytest.Pytester) -> None:
    # mini runs to its end and applies the wrong files: a plain failure, not an agent error
    for row in SWEEP.assert_cells_fail(suite, agent_ms_under=120_000, within_s=300):
        check_calls(row)


def test_heredoc_script_round_trips_awkward_files(tmp_path: Path) -> None:
    files = {"a.py": "x = '$HOME `id`'\nHYBRID_EVAL_EOF\n", "pkg/b.txt": "no newline", "empty.txt": ""}
    script = write_files_script(files)
    subprocess.run(["bash", "-c", script], cwd=tmp_path, check=True, capture_output=True)
    for rel, content in files.items():
        assert (tmp_path / rel).read_text() == content


def test_dialect_writes_then_submits() -> None:
    dialect = MiniSweDialect()
    bash_tool = [{"type": "function", "function": {"name": "bash", "parameters": {}}}]
    convo = [{"role": "system", "content": "s"}, {"role": "user", "content": "task"}]
    assert not dialect.is_done(convo)
    msg = dialect.reply(convo, bash_tool, {"a.py": "x = 1\n"}, None)
    command = json.loads(msg["tool_calls"][0]["function"]["arguments"])["command"]
    assert "cat > a.py <<'HYBRID_EVAL_EOF'" in command
    convo += [msg, {"role": "tool", "tool_call_id": "c1", "content": "files written"}]
    assert dialect.is_done(convo)
    done = dialect.done_message(convo)
    args = json.loads(done["tool_calls"][0]["function"]["arguments"])
    assert args == {"command": "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT"}
    text = dialect.reply([{"role": "system", "content": "use ```mswea_bash_command blocks"}], [], {"a": "1\n"}, None)
    assert "```mswea_bash_command\n" in text["content"] and "tool_calls" not in text
