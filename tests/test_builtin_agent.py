"""The built-in agent end to end against the scripted backend on a real loopback port (no proxy)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_hybrid_eval import __version__
from pytest_hybrid_eval.agents.base import Agent, AgentContext
from pytest_hybrid_eval.agents.builtin import BuiltinAgent, parse_files, render_files, safe_relative
from pytest_hybrid_eval.agents.registry import agent_dialect, agent_names, get_agent, register_agent
from pytest_hybrid_eval.cells import Cell
from pytest_hybrid_eval.config import ScriptedConfig, Skill, SweepConfig, TierSpeed
from pytest_hybrid_eval.errors import HybridEvalError
from pytest_hybrid_eval.sandbox.base import Limits, SandboxResult
from pytest_hybrid_eval.scripted import create_scripted_app
from pytest_hybrid_eval.simulator.server import ScriptedServer
from pytest_hybrid_eval.tasks.model import Task, load_task

REFERENCE = "def add(a, b):\n    return a + b\n"
STARTING = "def add(a, b):\n    return a - b\n"
DECOY = "def add(a, b):\n    return abs(a) + abs(b)\n"
VISIBLE = "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n    assert add(-2, 3) == 1\n"


class SubprocessSandbox:
    """Just enough sandbox for these tests: a subprocess in its own group, killed whole on timeout."""

    kind = "test-subprocess"
    isolated = False

    def __init__(self) -> None:
        self.calls: list[list[str]] = []
        self.envs: list[dict[str, str] | None] = []

    def run(self, argv: list[str], cwd: Path, limits: Limits, env: dict[str, str] | None = None,
            allow_loopback: bool = False) -> SandboxResult:
        self.calls.append(argv)
        self.envs.append(env)
        start = time.monotonic()
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                start_new_session=True)
        try:
            out, _ = proc.communicate(timeout=limits.wall_s)
            hit = None
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate()
            hit = "wall"
        return SandboxResult(exit_code=None if hit else proc.returncode, limit_hit=hit,
                             output_tail=out.decode("utf-8", "replace")[-8000:], duration_s=time.monotonic() - start)


def make_task(root: Path) -> Task:
    d = root / "t-add"
    for sub in ("public", "tests", "hidden", "reference", "decoy"):
        (d / sub).mkdir(parents=True)
    (d / "task.yaml").write_text(
        "id: t-add\nclass: puzzles\nfamily: p1\ndifficulty: easy\n"
        "prompt: Make add(a, b) in calc.py return the sum of a and b.\neditable: [calc.py]\n", encoding="utf-8")
    (d / "public" / "calc.py").write_text(STARTING, encoding="utf-8")
    (d / "public" / "README.md").write_text("calculator\n", encoding="utf-8")
    (d / "tests" / "test_calc.py").write_text(VISIBLE, encoding="utf-8")
    (d / "hidden" / "test_hidden.py").write_text(
        "from calc import add\n\n\ndef test_zero():\n    assert add(0, 0) == 0\n", encoding="utf-8")
    (d / "reference" / "calc.py").write_text(REFERENCE, encoding="utf-8")
    (d / "decoy" / "calc.py").write_text(DECOY, encoding="utf-8")
    return load_task(d)


@pytest.fixture
def task(tmp_path: Path) -> Task:
    return make_task(tmp_path / "suite")


def workspace_for(task: Task, root: Path) -> Path:
    """What the plugin prepares: public files plus the visible tests, never reference/ or hidden/."""
    ws = root / "ws"
    shutil.copytree(task.public_dir, ws)
    shutil.copytree(task.tests_dir, ws / "tests")
    return ws


def context(task: Task, tmp_path: Path, base_url: str, agent: str = "builtin", max_turns: int = 3,
            timeout_s: float = 60.0) -> tuple[AgentContext, SubprocessSandbox]:
    sandbox = SubprocessSandbox()
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    cell = Cell(task_id=task.id, agent=agent, strategy="always-cloud", seed=42)
    ctx = AgentContext(cell=cell, task=task, workspace=workspace_for(task, tmp_path), model="hybrid",
                       base_url=f"{base_url}/cloud/cells/{cell.id}/v1", timeout_s=timeout_s, max_turns=max_turns,
                       sandbox=sandbox, home=home, test_timeout_s=30.0)
    return ctx, sandbox


def server(task: Task, cloud: float, **kw: object) -> ScriptedServer:
    sk = Skill(easy=cloud, medium=cloud, hard=cloud)
    return ScriptedServer(create_scripted_app(SweepConfig(scripted=ScriptedConfig(cloud=sk, **kw)), {task.id: task}))


@pytest.fixture
def perfect(task: Task) -> Iterator[str]:
    with server(task, 1.0) as srv:
        yield srv.url


# -- end to end -------------------------------------------------------------------------------------------


def test_skill_one_passes_visible_tests_in_one_turn(task: Task, tmp_path: Path, perfect: str) -> None:
    ctx, sandbox = context(task, tmp_path, perfect)
    result = BuiltinAgent().run(ctx)
    assert result.status == "ok", result.reason
    assert result.turns == 1 and result.version == __version__
    assert result.extra["visible_tests"] == "pass"
    assert (ctx.workspace / "calc.py").read_text() == REFERENCE
    assert (ctx.workspace / "tests" / "test_calc.py").read_text() == VISIBLE
    assert "1 passed" in result.stdout_tail
    assert len(sandbox.calls) == 1 and sandbox.calls[0][-1] == "tests"
    env = sandbox.envs[0]
    assert env is not None and set(env) == {"PATH", "HOME", "PYTHONDONTWRITEBYTECODE", "PYTEST_DISABLE_PLUGIN_AUTOLOAD"}
    assert env["HOME"] == str(ctx.home)


def test_skill_zero_uses_every_turn_and_ends_ok_without_passing(task: Task, tmp_path: Path) -> None:
    with server(task, 0.0) as srv:
        ctx, sandbox = context(task, tmp_path, srv.url, max_turns=3)
        result = BuiltinAgent().run(ctx)
    assert result.status == "ok", result.reason
    assert result.turns == 3 and len(sandbox.calls) == 3
    assert result.extra["visible_tests"] == "fail" and result.extra["last_exit_code"] == "1"
    assert (ctx.workspace / "calc.py").read_text() == DECOY
    assert "failed" in result.stdout_tail


class _EvilDialect:
    """Tries to write outside the workspace, over the tests and a non-editable file, plus the real fix."""

    def reply(self, messages, tools, files, workspace_hint):  # type: ignore[no-untyped-def]
        bad = {"../escape.py": "x = 1\n", "/tmp/abs_hybrid_eval.py": "x = 1\n",
               "tests/test_calc.py": "def test_ok():\n    pass\n", "README.md": "pwned\n"}
        return {"role": "assistant", "content": render_files({**bad, **files})}

    def is_done(self, messages):  # type: ignore[no-untyped-def]
        return False

    def done_message(self, messages):  # type: ignore[no-untyped-def]
        return {"role": "assistant", "content": "done"}


class _EvilAgent(BuiltinAgent):
    name = "evil"
    dialect = _EvilDialect()


def test_only_editable_files_inside_the_workspace_are_written(task: Task, tmp_path: Path, perfect: str) -> None:
    register_agent("evil", _EvilAgent)
    ctx, _ = context(task, tmp_path, perfect, agent="evil")
    result = BuiltinAgent().run(ctx)
    assert result.status == "ok" and result.turns == 1
    assert (ctx.workspace / "calc.py").read_text() == REFERENCE
    assert (ctx.workspace / "tests" / "test_calc.py").read_text() == VISIBLE
    assert (ctx.workspace / "README.md").read_text() == "calculator\n"
    assert not (ctx.workspace.parent / "escape.py").exists()
    assert not Path("/tmp/abs_hybrid_eval.py").exists()


def test_http_errors_are_backend_errors(task: Task, tmp_path: Path, perfect: str) -> None:
    ctx, _ = context(task, tmp_path, perfect)
    ctx.base_url = f"{perfect}/cloud/cells/nosuch.builtin.always-cloud.s1/v1"
    result = BuiltinAgent().run(ctx)
    assert result.status == "backend_error"
    assert result.reason is not None and "HTTP 404" in result.reason and "nosuch" in result.reason
    ctx.base_url = "http://127.0.0.1:9/v1"  # discard port: nothing listens
    result = BuiltinAgent().run(ctx)
    assert result.status == "backend_error" and "cannot reach" in (result.reason or "")


def test_overall_deadline_is_agent_timeout(task: Task, tmp_path: Path) -> None:
    slow = TierSpeed(tokens_per_s=1e6, ttft_ms=1500.0)
    with server(task, 1.0, latency_scale=1.0, cloud_speed=slow) as srv:
        ctx, _ = context(task, tmp_path, srv.url, timeout_s=0.4)
        t0 = time.monotonic()
        result = BuiltinAgent().run(ctx)
        elapsed = time.monotonic() - t0
    assert result.status == "agent_timeout", result.reason
    assert elapsed < 1.2
    assert (ctx.workspace / "calc.py").read_text() == STARTING


# -- the answer format ------------------------------------------------------------------------------------


def test_render_and_parse_round_trip_with_backticks_inside() -> None:
    files = {"pkg/a.py": "doc = '''\n```\ncode\n```\n'''\n", "b.txt": "no newline at end", "c.py": ""}
    parsed = parse_files("Sure.\n\n" + render_files(files) + "\n\nThat is all.")
    assert parsed == {"pkg/a.py": files["pkg/a.py"], "b.txt": "no newline at end\n", "c.py": ""}
    assert parse_files("FILE: x.py\nno fence here") == {}
    assert parse_files("**FILE:** `x.py`\n```python\nx = 1\n```") == {"x.py": "x = 1\n"}


def test_safe_relative_rejects_escapes() -> None:
    assert safe_relative("./pkg/a.py") == "pkg/a.py"
    for bad in ("/etc/passwd", "../x.py", "pkg/../../x.py", "C:/x.py", "\\\\server\\x", ""):
        assert safe_relative(bad) is None, bad


def test_builtin_dialect_answers_in_file_format() -> None:
    dialect = agent_dialect("builtin")
    assert dialect is not None and not dialect.is_done([{"role": "user", "content": "x"}])
    msg = dialect.reply([], [], {"calc.py": REFERENCE}, None)
    assert parse_files(msg["content"]) == {"calc.py": REFERENCE}


# -- registry ---------------------------------------------------------------------------------------------


def test_registry_builtin_unknown_and_plugins() -> None:
    agent = get_agent("builtin")
    assert isinstance(agent, Agent) and agent.name == "builtin" and agent.version() == __version__
    assert get_agent("builtin") is not agent  # a fresh instance per cell
    with pytest.raises(HybridEvalError, match="valid agents: .*builtin"):
        get_agent("nosuch")

    class Echo(BuiltinAgent):
        name = "echo-test"

    register_agent("echo-test", Echo)
    assert "echo-test" in agent_names() and isinstance(get_agent("echo-test"), Echo)
    with pytest.raises(HybridEvalError, match="already registered"):
        register_agent("echo-test", BuiltinAgent)
    register_agent("echo-test", BuiltinAgent, replace=True)
    assert type(get_agent("echo-test")) is BuiltinAgent
    with pytest.raises(HybridEvalError, match="no dots"):
        register_agent("a.b", BuiltinAgent)


def test_every_registered_adapter_carries_its_dialect_and_a_broken_one_is_refused() -> None:
    for name in ("builtin", "aider", "mini-swe-agent", "cline", "opencode"):
        dialect = agent_dialect(name)
        assert dialect is not None and dialect is get_agent(name).dialect, name  # type: ignore[attr-defined]
    assert agent_dialect("no-such-agent") is None

    class Mute(BuiltinAgent):
        name = "mute-test"
        dialect = None

    class Broken(BuiltinAgent):
        name = "broken-dialect-test"
        dialect = "not a dialect"  # type: ignore[assignment]

    register_agent("mute-test", Mute)
    register_agent("broken-dialect-test", Broken)
    assert agent_dialect("mute-test") is None
    with pytest.raises(HybridEvalError, match="lacks reply/is_done/done_message"):
        agent_dialect("broken-dialect-test")
