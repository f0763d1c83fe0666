"""aider as a real cell: the installed CLI runs through the routing proxy against the scripted backend.

The suite (one small puzzle written here + a copy of the d6-toposort refactor) runs in a pytester
subprocess, so the proxy, the backend threads and the agent processes cannot leak into this process.
The first run installs aider into the agents cache (about a minute here); later runs reuse it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_hybrid_eval.agents.aider import AiderWholeDialect
from tests.agent_sweep import AgentSweep

SWEEP = AgentSweep("aider", "pytest_hybrid_eval.agents.aider", "aider-e2e", "rle-codec", register_in_hook=True)


@pytest.fixture(scope="session")
def aider_installed() -> Path:
    """Install (or find) the pinned aider once per test session; returns the agents dir it lives in."""
    return SWEEP.install()


@pytest.fixture
def suite(pytester: pytest.Pytester, aider_installed: Path, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    return SWEEP.prepare(pytester, monkeypatch, aider_installed)


def check_calls(row: dict) -> None:
    """aider made one call, and its own LLM history agrees with the proxy."""
    assert row["calls"]["cloud"] == len(row["calls"]["records"]) == 1
    assert row["agent_turns"] == 1
    # aider's system prompt with the whole-file rules and the file contents is far larger than the task text
    assert row["tokens"]["cloud"]["prompt"] > 500


def test_aider_cells_pass_at_full_skill(suite: pytest.Pytester) -> None:
    for row in SWEEP.assert_cells_pass(suite, within_s=300):
        check_calls(row)


def test_aider_cells_fail_without_hanging_at_zero_skill(suite: pytest.Pytester) -> None:
    # aider runs to its end and applies the wrong files: a plain failure, not an agent error
    for row in SWEEP.assert_cells_fail(suite, agent_ms_under=120_000, within_s=300):
        check_calls(row)


def test_dialect_uses_the_fence_aider_announced() -> None:
    dialect = AiderWholeDialect()
    system = {"role": "system", "content": "Second line: opening <source>\nFinal line: closing </source>\n"}
    msg = dialect.reply([system, {"role": "user", "content": "go"}], [], {"a.py": "x = 1"}, None)
    assert "a.py\n<source>\nx = 1\n</source>\n" in msg["content"]
    assert not dialect.is_done([system, {"role": "user", "content": "go"}])
    assert dialect.is_done([system, {"role": "user", "content": "go"}, msg, {"role": "user", "content": "again"}])
    plain = dialect.reply([{"role": "user", "content": "go"}], [], {"b.py": "y = 2\n"}, None)
    assert "b.py\n```\ny = 2\n```\n" in plain["content"]
