"""The opencode adapter: its dialect, its config, and real opencode runs through the proxy.

The end-to-end tests install the pinned opencode once (cached in the agents dir) and run real sweeps in a
pytest subprocess (pytester) on the scripted backend: a perfect model must make the cells pass, a useless
one must make them fail without hanging, every token the row reports must be in its call records, and
opencode's tool-less title request must be one of the cell's calls.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_hybrid_eval.agents.opencode import (
    ENV_SWITCHES,
    OpencodeAgent,
    OpencodeDialect,
    opencode_config,
    parse_events,
    workspace_from_messages,
)
from tests.agent_sweep import AgentSweep

SWEEP = AgentSweep("opencode", "pytest_hybrid_eval.agents.opencode", "opencode-e2e", "vowels")
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
    SWEEP.assert_not_installed(OpencodeAgent, tmp_path / "empty", monkeypatch)


# -- real opencode, end to end ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def oc_agents_dir() -> Path:
    """Install the pinned opencode once (a no-op when cached) and remember where, before pytester moves HOME."""
    return SWEEP.install()


@pytest.fixture
def sweep(pytester: pytest.Pytester, oc_agents_dir: Path, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    return SWEEP.prepare(pytester, monkeypatch, oc_agents_dir)


def test_perfect_model_makes_opencode_cells_pass(sweep: pytest.Pytester, oc_agents_dir: Path) -> None:
    for row in SWEEP.assert_cells_pass(sweep):
        # title, write, final answer: all through the cell's proxy URL
        assert row["calls"]["cloud"] == 3 and row["calls"]["local"] == 0
        # the title request carries no tools, so its prompt is a fraction of the task requests' prompts
        prompts = sorted(rec["usage"]["prompt"] for rec in row["calls"]["records"])
        assert prompts[0] * 3 < prompts[1], prompts
        assert row["tokens"]["cloud"]["prompt"] > 0 and row["tokens"]["cloud"]["completion"] > 0
    assert SWEEP.leftover_processes(oc_agents_dir) == []


def test_useless_model_makes_opencode_cells_fail_without_hanging(sweep: pytest.Pytester, oc_agents_dir: Path) -> None:
    # opencode runs to its end (exit 0); only scoring says the decoy is wrong
    SWEEP.assert_cells_fail(sweep, agent_ms_under=60_000, within_s=240)
    assert SWEEP.leftover_processes(oc_agents_dir) == []
