"""mini-swe-agent as a real cell: the installed CLI runs through the routing proxy against the scripted backend.

The suite (one small puzzle written here + a copy of the d6-toposort refactor) runs in a pytester
subprocess, so the proxy, the backend threads and the agent processes cannot leak into this process.
The first run installs mini-swe-agent into the agents cache (about a minute here); later runs reuse it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import textwrap
import time
from pathlib import Path

import pytest

from pytest_hybrid_eval.agents.install import PINNED, agents_dir, install, installed_version
from pytest_hybrid_eval.agents.mini_swe_agent import MiniSweDialect, write_files_script

AGENT = "mini-swe-agent"
REPO = Path(__file__).resolve().parents[1]
D6 = REPO / "bench_suites" / "refactors" / "d6-toposort"


@pytest.fixture(scope="session")
def mini_installed() -> Path:
    """Install (or find) the pinned mini-swe-agent once per test session; returns the agents dir it lives in."""
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
def suite(pytester: pytest.Pytester, mini_installed: Path, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    # pytester gives the subprocess its own HOME, so the (cached) install dir is passed explicitly
    monkeypatch.setenv("HYBRID_EVAL_AGENTS_DIR", str(mini_installed))
    write_puzzle(pytester.path)
    shutil.copytree(D6, pytester.path / "suite" / "refactors" / "d6-toposort")
    (pytester.path / "sweep.yaml").write_text(
        f"name: mini-e2e\nagents: [{AGENT}]\nstrategies: [always-cloud]\nseeds: [1]\n"
        f"out_dir: {pytester.path / 'out'}\ntasks: {{roots: [suite]}}\n")
    # registers the adapter through the plugin's own hook (works whether or not the registry imports it)
    (pytester.path / "conftest.py").write_text(
        "def pytest_hybrid_register(agents, strategies):\n    import pytest_hybrid_eval.agents.mini_swe_agent  # noqa: F401\n")
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
    """The row's tokens are exactly the sum of its proxy call records: one write call, one submit call."""
    records = row["calls"]["records"]
    assert records, row
    assert all(r["cell_id"] == row["cell_id"] and r["status"] == 200 and r["error"] is None for r in records)
    assert all(r["usage_source"] == "upstream" for r in records)
    for key in ("prompt", "completion"):
        assert row["tokens"]["cloud"][key] == sum(r["usage"][key] for r in records if r["choice"] == "cloud")
        assert row["tokens"]["local"][key] == 0
    assert row["calls"]["cloud"] == len(records) == 2
    assert row["agent_turns"] == 2  # mini's trajectory agrees with the proxy
    assert records[1]["usage"]["prompt"] > records[0]["usage"]["prompt"]  # the tool result came back
    assert row["provenance"]["agent_version"] == PINNED[AGENT][2]


def test_mini_cells_pass_at_full_skill(suite: pytest.Pytester) -> None:
    res, rows, elapsed = run_sweep(suite, "1")
    assert {r["task_id"] for r in rows} == {"rle-codec", "d6-toposort"}, res.stdout.str()[-3000:]
    for row in rows:
        assert row["error"] == "none", (row["reason"], res.stdout.str()[-3000:])
        assert row["passed"] and row["tests_passed"] == row["tests_total"] > 0
        check_ledger(row)
    res.assert_outcomes(passed=2)
    assert elapsed < 300


def test_mini_cells_fail_without_hanging_at_zero_skill(suite: pytest.Pytester) -> None:
    res, rows, elapsed = run_sweep(suite, "0")
    assert len(rows) == 2, res.stdout.str()[-3000:]
    for row in rows:
        # mini ran to its end and applied the wrong files: a plain failure, not an agent error
        assert row["error"] == "none", row["reason"]
        assert not row["passed"] and row["tests_passed"] < row["tests_total"]
        assert row["agent_ms"] < 120_000
        check_ledger(row)
    res.assert_outcomes(failed=2)
    assert elapsed < 300


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
