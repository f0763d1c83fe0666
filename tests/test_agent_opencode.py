"""The opencode adapter: its dialect, its config, and real opencode runs through the proxy.

The end-to-end tests install the pinned opencode once (cached in the agents dir) and run real sweeps in a
pytest subprocess (pytester) on the scripted backend: a perfect model must make the cells pass, a useless
one must make them fail without hanging, every token the row reports must be in its call records, and
opencode's tool-less title request must be one of the cell's calls.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest

from pytest_hybrid_eval.agents.install import PINNED, agents_dir, install
from pytest_hybrid_eval.agents.opencode import (
    ENV_SWITCHES,
    OpencodeAgent,
    OpencodeDialect,
    opencode_config,
    parse_events,
    workspace_from_messages,
)

REPO = Path(__file__).resolve().parents[1]
D6 = REPO / "bench_suites" / "refactors" / "d6-toposort"
WS = "/tmp/hev-y/workspace"
SYSTEM = {"role": "system", "content": f"You are opencode.\n<env>\n  Working directory: {WS}\n  Platform: linux\n</env>"}
TOOLS = [{"type": "function", "function": {"name": n, "parameters": {}}} for n in ("bash", "read", "write", "edit")]
TITLE = [{"role": "system", "content": "You are a title generator. You output ONLY a thread title."},
         {"role": "user", "content": "Generate a title for this conversation:\n"}, {"role": "user", "content": "task"}]


# -- dialect and config (no install needed) -----------------------------------------------------------


def test_title_request_gets_a_short_plain_title() -> None:
    d = OpencodeDialect()
    reply = d.reply(TITLE, [], {"pkg/toposort.py": "x\n"}, None)
    assert "tool_calls" not in reply
    assert reply["content"] and "\n" not in reply["content"] and len(reply["content"]) <= 50
    assert "toposort.py" in reply["content"]
    assert not d.is_done(TITLE)


def test_dialect_writes_absolute_paths_then_stops() -> None:
    d = OpencodeDialect()
    files = {"calc.py": "A = 1\n", "pkg/b.py": "B = 2\n"}
    convo: list[dict] = [SYSTEM, {"role": "user", "content": "task"}]
    assert workspace_from_messages(convo) == WS
    assert not d.is_done(convo)
    reply = d.reply(convo, TOOLS, files, None)
    args = [json.loads(c["function"]["arguments"]) for c in reply["tool_calls"]]
    assert [c["function"]["name"] for c in reply["tool_calls"]] == ["write", "write"]
    assert args == [{"filePath": f"{WS}/calc.py", "content": "A = 1\n"}, {"filePath": f"{WS}/pkg/b.py", "content": "B = 2\n"}]
    calls = [{"id": f"w{i}", **c} for i, c in enumerate(reply["tool_calls"])]
    half = [*convo, {**reply, "tool_calls": calls}, {"role": "tool", "tool_call_id": "w0", "content": "Wrote file successfully."}]
    assert not d.is_done(half)
    done = [*half, {"role": "tool", "tool_call_id": "w1", "content": "Wrote file successfully."}]
    assert d.is_done(done)
    assert "tool_calls" not in d.done_message(done)
    # the header wins over the prompt; no write tool means no tool call
    assert json.loads(d.reply(convo, TOOLS, files, "/w")["tool_calls"][0]["function"]["arguments"])["filePath"] == "/w/calc.py"
    assert "tool_calls" not in d.reply(convo, TOOLS[:2], files, None)


def test_config_points_the_only_provider_at_the_cell_url(tmp_path: Path) -> None:
    class Ctx:
        base_url = "http://127.0.0.1:1/s3cret/cells/t.opencode.cascade.s1/cascade/v1"
        model = "hybrid/cascade"
        api_key = "sk-dummy"
    cfg = opencode_config(Ctx())  # type: ignore[arg-type]
    provider = cfg["provider"]["hybrid"]
    assert provider["npm"] == "@ai-sdk/openai-compatible"
    assert provider["options"]["baseURL"] == Ctx.base_url
    assert provider["models"]["hybrid/cascade"]["limit"]["context"] > 0
    assert cfg["model"] == cfg["small_model"] == "hybrid/hybrid/cascade"  # the title call uses the same URL
    assert cfg["permission"] == {"edit": "allow", "bash": "allow", "webfetch": "deny"}
    for var in ("OPENCODE_DISABLE_MODELS_FETCH", "OPENCODE_DISABLE_AUTOUPDATE", "OPENCODE_DISABLE_DEFAULT_PLUGINS",
                "OPENCODE_DISABLE_LSP_DOWNLOAD", "OPENCODE_DISABLE_SHARE"):
        assert ENV_SWITCHES[var] == "1"


def test_events_parser_skips_partial_lines() -> None:
    out = 'tail of a cut line"}\n{"type":"step_start"}\nnoise\n{"type":"text","part":{"text":"hi"}}\n'
    assert [e["type"] for e in parse_events(out)] == ["step_start", "text"]


def test_missing_opencode_is_not_installed_with_the_install_command(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HYBRID_EVAL_AGENTS_DIR", str(tmp_path / "empty"))
    agent = OpencodeAgent()
    assert agent.version() is None
    result = agent.run(None)  # type: ignore[arg-type]  # must not touch the context when not installed
    assert result.status == "not_installed"
    assert "hybrid-eval setup agents opencode" in (result.reason or "")


# -- real opencode, end to end ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def oc_agents_dir() -> Path:
    """Install the pinned opencode once (a no-op when cached) and remember where, before pytester moves HOME."""
    install("opencode")
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
def sweep(pytester: pytest.Pytester, oc_agents_dir: Path, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.setenv("HYBRID_EVAL_AGENTS_DIR", str(oc_agents_dir))
    _write_puzzle(pytester.path)
    shutil.copytree(D6, pytester.path / "suite" / "refactors" / "d6-toposort")
    (pytester.path / "sweep.yaml").write_text(
        f"name: opencode-e2e\nagents: [opencode]\nstrategies: [always-cloud]\nseeds: [1]\n"
        f"out_dir: {pytester.path / 'out'}\ntasks: {{roots: [suite]}}\n")
    # the adapter registers itself on import; this keeps the test independent of registry.py's imports
    pytester.makeconftest("import pytest_hybrid_eval.agents.opencode  # noqa: F401\n")
    return pytester


def _run(p: pytest.Pytester, skill: str) -> tuple[pytest.RunResult, list[dict], float]:
    t0 = time.monotonic()
    res = p.runpytest_subprocess("suite", "--hybrid-config", "sweep.yaml", "-p", "no:randomly",
                                 "--hybrid-agents", "opencode", "--hybrid-strategies", "always-cloud",
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


def _opencode_processes(root: Path) -> list[str]:
    """Command lines of live processes started from the opencode install (a leaked server would show here)."""
    marker = str(root / "opencode")
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if marker in cmd:
            found.append(f"{pid}: {cmd[:200]}")
    return found


def test_perfect_model_makes_opencode_cells_pass(sweep: pytest.Pytester, oc_agents_dir: Path) -> None:
    res, rows, _ = _run(sweep, "1")
    res.assert_outcomes(passed=2)
    assert sorted(r["task_id"] for r in rows) == ["d6-toposort", "vowels"]
    for row in rows:
        assert row["passed"] and row["error"] == "none", row.get("reason")
        assert row["tests_passed"] == row["tests_total"] > 0
        assert row["provenance"]["agent_version"] == PINNED["opencode"][2]
        # title, write, final answer: all through the cell's proxy URL
        assert row["calls"]["cloud"] == 3 and row["calls"]["local"] == 0
        # the title request carries no tools, so its prompt is a fraction of the task requests' prompts
        prompts = sorted(rec["usage"]["prompt"] for rec in row["calls"]["records"])
        assert prompts[0] * 3 < prompts[1], prompts
        assert row["tokens"]["cloud"]["prompt"] > 0 and row["tokens"]["cloud"]["completion"] > 0
        assert all(rec["cell_id"] == row["cell_id"] and rec["status"] == 200 for rec in row["calls"]["records"])
        _assert_tokens_match_records(row)
    assert _opencode_processes(oc_agents_dir) == []


def test_useless_model_makes_opencode_cells_fail_without_hanging(sweep: pytest.Pytester, oc_agents_dir: Path) -> None:
    res, rows, took = _run(sweep, "0")
    res.assert_outcomes(failed=2)
    assert len(rows) == 2
    for row in rows:
        # opencode ran to its end (exit 0); only scoring says the decoy is wrong
        assert not row["passed"] and row["error"] == "none", row.get("reason")
        assert row["tests_total"] > 0 and row["tests_passed"] < row["tests_total"]
        assert row["agent_ms"] < 60_000
        _assert_tokens_match_records(row)
    assert took < 240
    assert _opencode_processes(oc_agents_dir) == []
