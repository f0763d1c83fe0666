"""aider as a real cell: the installed CLI runs through the routing proxy against the scripted backend.

The suite (one small puzzle written here + a copy of the d6-toposort refactor) runs in a pytester
subprocess, so the proxy, the backend threads and the agent processes cannot leak into this process.
The first run installs aider into the agents cache (about a minute here); later runs reuse it.
"""

from __future__ import annotations

import json
import shutil
import textwrap
import time
from pathlib import Path

import pytest

from pytest_hybrid_eval.agents.aider import AiderWholeDialect
from pytest_hybrid_eval.agents.install import PINNED, agents_dir, install, installed_version

AGENT = "aider"
REPO = Path(__file__).resolve().parents[1]
D6 = REPO / "bench_suites" / "refactors" / "d6-toposort"


@pytest.fixture(scope="session")
def aider_installed() -> Path:
    """Install (or find) the pinned aider once per test session; returns the agents dir it lives in."""
    install(AGENT)
    assert installed_version(AGENT) == PINNED[AGENT][2]
    return agents_dir()


def write_puzzle(root: Path) -> None:
    d = root / "suite" / "puzzles" / "rle-codec"
    for sub in ("public", "tests", "hidden", "reference", "decoy"):
        (d / sub).mkdir(parents=True, exist_ok=True)
    (d / "task.yaml").write_text(textwrap.dedent("""\
        id: rle-codec
        class: puzzles
        family: puzzle
        difficulty: easy
        prompt: |
          In rle.py, implement encode(text) and decode(pairs). encode turns a string into a list of
          [char, count] pairs for each run of equal characters; decode is its inverse.
        editable: [rle.py]
        agent_timeout_s: 120
        test_timeout_s: 30
        """))
    (d / "public" / "rle.py").write_text(
        "def encode(text):\n    raise NotImplementedError\n\n\ndef decode(pairs):\n    raise NotImplementedError\n")
    (d / "reference" / "rle.py").write_text(textwrap.dedent("""\
        def encode(text):
            pairs = []
            for ch in text:
                if pairs and pairs[-1][0] == ch:
                    pairs[-1][1] += 1
                else:
                    pairs.append([ch, 1])
            return pairs


        def decode(pairs):
            return "".join(ch * n for ch, n in pairs)
        """))
    (d / "decoy" / "rle.py").write_text(textwrap.dedent("""\
        def encode(text):
            return [[ch, 1] for ch in text]


        def decode(pairs):
            return "".join(ch for ch, _ in pairs)
        """))
    (d / "tests" / "test_rle.py").write_text("import rle\n\n\ndef test_encode():\n    assert rle.encode('aab') == [['a', 2], ['b', 1]]\n")
    (d / "hidden" / "test_hidden_rle.py").write_text(textwrap.dedent("""\
        import rle


        def test_roundtrip():
            assert rle.decode(rle.encode("xxxyzz")) == "xxxyzz"


        def test_decode():
            assert rle.decode([["q", 3]]) == "qqq"
        """))


@pytest.fixture
def suite(pytester: pytest.Pytester, aider_installed: Path, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    # pytester gives the subprocess its own HOME, so the (cached) install dir is passed explicitly
    monkeypatch.setenv("HYBRID_EVAL_AGENTS_DIR", str(aider_installed))
    write_puzzle(pytester.path)
    shutil.copytree(D6, pytester.path / "suite" / "refactors" / "d6-toposort")
    (pytester.path / "sweep.yaml").write_text(
        f"name: aider-e2e\nagents: [{AGENT}]\nstrategies: [always-cloud]\nseeds: [1]\n"
        f"out_dir: {pytester.path / 'out'}\ntasks: {{roots: [suite]}}\n")
    # registers the adapter through the plugin's own hook (works whether or not the registry imports it)
    (pytester.path / "conftest.py").write_text(
        "def pytest_hybrid_register(agents, strategies):\n    import pytest_hybrid_eval.agents.aider  # noqa: F401\n")
    return pytester


def run_sweep(p: pytest.Pytester, skill: str) -> tuple[pytest.RunResult, list[dict], float]:
    start = time.monotonic()
    res = p.runpytest_subprocess(
        "suite", "--hybrid-config", "sweep.yaml", "-p", "no:randomly", "--hybrid-agents", AGENT,
        "--hybrid-strategies", "always-cloud", "--hybrid-seeds", "1",
        *(arg for tier in ("local", "cloud") for level in ("easy", "medium", "hard")
          for arg in ("--hybrid-set", f"scripted.{tier}.{level}={skill}")),
        timeout=600,
    )
    elapsed = time.monotonic() - start
    raw = p.path / "out" / "raw.jsonl"
    rows = [json.loads(line) for line in raw.read_text().splitlines()] if raw.exists() else []
    return res, rows, elapsed


def check_ledger(row: dict) -> None:
    """The row's tokens are exactly the sum of its proxy call records, and aider made one call."""
    records = row["calls"]["records"]
    assert records, row
    assert all(r["cell_id"] == row["cell_id"] and r["status"] == 200 and r["error"] is None for r in records)
    assert all(r["usage_source"] == "upstream" for r in records)
    for key in ("prompt", "completion"):
        assert row["tokens"]["cloud"][key] == sum(r["usage"][key] for r in records if r["choice"] == "cloud")
        assert row["tokens"]["local"][key] == 0
    assert row["calls"]["cloud"] == len(records) == 1
    assert row["agent_turns"] == 1  # aider's own LLM history agrees with the proxy
    # aider's system prompt with the whole-file rules and the file contents is far larger than the task text
    assert row["tokens"]["cloud"]["prompt"] > 500
    assert row["provenance"]["agent_version"] == PINNED[AGENT][2]


def test_aider_cells_pass_at_full_skill(suite: pytest.Pytester) -> None:
    res, rows, elapsed = run_sweep(suite, "1")
    assert {r["task_id"] for r in rows} == {"rle-codec", "d6-toposort"}, res.stdout.str()[-3000:]
    for row in rows:
        assert row["error"] == "none", (row["reason"], res.stdout.str()[-3000:])
        assert row["passed"] and row["tests_passed"] == row["tests_total"] > 0
        check_ledger(row)
    res.assert_outcomes(passed=2)
    assert elapsed < 300


def test_aider_cells_fail_without_hanging_at_zero_skill(suite: pytest.Pytester) -> None:
    res, rows, elapsed = run_sweep(suite, "0")
    assert len(rows) == 2, res.stdout.str()[-3000:]
    for row in rows:
        # aider ran to its end and applied the wrong files: a plain failure, not an agent error
        assert row["error"] == "none", row["reason"]
        assert not row["passed"] and row["tests_passed"] < row["tests_total"]
        assert row["agent_ms"] < 120_000
        check_ledger(row)
    res.assert_outcomes(failed=2)
    assert elapsed < 300


def test_dialect_uses_the_fence_aider_announced() -> None:
    dialect = AiderWholeDialect()
    system = {"role": "system", "content": "Second line: opening <source>\nFinal line: closing </source>\n"}
    msg = dialect.reply([system, {"role": "user", "content": "go"}], [], {"a.py": "x = 1"}, None)
    assert "a.py\n<source>\nx = 1\n</source>\n" in msg["content"]
    assert not dialect.is_done([system, {"role": "user", "content": "go"}])
    assert dialect.is_done([system, {"role": "user", "content": "go"}, msg, {"role": "user", "content": "again"}])
    plain = dialect.reply([{"role": "user", "content": "go"}], [], {"b.py": "y = 2\n"}, None)
    assert "b.py\n```\ny = 2\n```\n" in plain["content"]
