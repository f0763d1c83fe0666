"""The agent installer and the shared CLI runner: install state, not_installed cells, scrubbed env, kills.

The hanging-agent tests use a fake CLI (a shell script) so they cost seconds, not an install.
"""

from __future__ import annotations

import json
import os
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from pytest_hybrid_eval.agents.base import AgentContext
from pytest_hybrid_eval.agents.cli_agent import classify_outcome, run_cli, scrubbed_env
from pytest_hybrid_eval.agents.install import (
    PINNED,
    agents_dir,
    executable,
    install,
    install_command,
    installed_version,
)
from pytest_hybrid_eval.sandbox.bwrap import BwrapSandbox
from pytest_hybrid_eval.sandbox.process import ProcessSandbox
from pytest_hybrid_eval.sandbox.select import probe_bwrap

SANDBOXES = [pytest.param(ProcessSandbox, id="plain-group"),
             pytest.param(BwrapSandbox, id="bwrap",
                          marks=pytest.mark.skipif(probe_bwrap() is not None, reason=str(probe_bwrap())))]


def make_ctx(tmp_path: Path, sandbox: object, timeout_s: float = 3.0) -> AgentContext:
    cell_dir = tmp_path / "cell"
    (cell_dir / "workspace").mkdir(parents=True)
    (cell_dir / "home").mkdir()
    return AgentContext(cell=None, task=None, workspace=cell_dir / "workspace",  # type: ignore[arg-type]
                        base_url="http://127.0.0.1:9/cells/x/always-cloud/v1", model="hybrid/always-cloud",
                        timeout_s=timeout_s, max_turns=3, sandbox=sandbox, home=cell_dir / "home")  # type: ignore[arg-type]


def processes_with(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
            state = next(line for line in (entry / "status").read_text().splitlines() if line.startswith("State:"))
        except (OSError, StopIteration):
            continue
        if marker in cmdline and " Z " not in state + " ":
            found.append(int(entry.name))
    return found


def test_pins_and_install_command() -> None:
    assert PINNED["aider"] == ("pip", "aider-chat", "0.86.2")
    assert PINNED["mini-swe-agent"] == ("pip", "mini-swe-agent", "2.4.6")
    assert PINNED["cline"] == ("npm", "cline", "3.0.65") and PINNED["opencode"] == ("npm", "opencode-ai", "1.18.33")
    assert install_command("aider") == "hybrid-eval setup agents aider"
    with pytest.raises(Exception, match="installable agents"):
        install_command("no-such-agent")


def test_empty_or_half_installed_dir_counts_as_not_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HYBRID_EVAL_AGENTS_DIR", str(tmp_path))
    assert agents_dir() == tmp_path
    for name in PINNED:
        assert installed_version(name) is None and executable(name) is None
    # a package manifest without the completion marker is an interrupted install, not a usable one
    manifest = tmp_path / "cline" / "npm" / "node_modules" / "cline" / "package.json"
    manifest.parent.mkdir(parents=True)
    manifest.write_text(json.dumps({"name": "cline", "version": "3.0.65"}))
    assert installed_version("cline") is None
    (tmp_path / "cline" / "install.json").write_text("{}")
    assert installed_version("cline") == "3.0.65"
    assert executable("cline") is None  # no bin/cline: still not runnable


def test_install_is_idempotent_and_reads_version_from_metadata() -> None:
    install("aider")  # cached after the first run on a machine
    start = time.monotonic()
    again = install("aider")
    assert again.startswith("already installed") and time.monotonic() - start < 5
    assert installed_version("aider") == "0.86.2"
    exe = executable("aider")
    assert exe is not None and exe.name == "aider" and os.access(exe, os.X_OK)


def test_cell_of_missing_agent_is_not_installed_with_the_command(pytester: pytest.Pytester,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    empty = pytester.path / "no-agents"
    empty.mkdir()
    monkeypatch.setenv("HYBRID_EVAL_AGENTS_DIR", str(empty))
    d = pytester.path / "suite" / "puzzles" / "neg"
    for sub in ("public", "tests", "hidden", "reference"):
        (d / sub).mkdir(parents=True)
    (d / "task.yaml").write_text("id: neg\nclass: puzzles\nfamily: puzzle\ndifficulty: easy\n"
                                 "prompt: Implement neg(x) in neg.py.\neditable: [neg.py]\n")
    (d / "public" / "neg.py").write_text("def neg(x):\n    return x\n")
    (d / "reference" / "neg.py").write_text("def neg(x):\n    return -x\n")
    (d / "tests" / "test_neg.py").write_text("from neg import neg\n\n\ndef test_neg():\n    assert neg(2) == -2\n")
    (d / "hidden" / "test_hidden_neg.py").write_text("from neg import neg\n\n\ndef test_zero():\n    assert neg(0) == 0\n")
    (pytester.path / "sweep.yaml").write_text(f"name: ni\nagents: [aider]\nstrategies: [always-cloud]\nseeds: [1]\n"
                                              f"out_dir: {pytester.path / 'out'}\ntasks: {{roots: [suite]}}\n")
    (pytester.path / "conftest.py").write_text(
        "def pytest_hybrid_register(agents, strategies):\n    import pytest_hybrid_eval.agents.aider  # noqa: F401\n")
    res = pytester.runpytest_subprocess("suite", "--hybrid-config", "sweep.yaml", "-p", "no:randomly", timeout=120)
    res.assert_outcomes(failed=1)
    rows = [json.loads(line) for line in (pytester.path / "out" / "raw.jsonl").read_text().splitlines()]
    assert len(rows) == 1 and rows[0]["error"] == "not_installed"
    assert "hybrid-eval setup agents aider" in rows[0]["reason"]
    assert rows[0]["calls"]["records"] == []
    res.stdout.fnmatch_lines(["*not_installed*hybrid-eval setup agents aider*"])


@pytest.mark.parametrize("sandbox_cls", SANDBOXES)
def test_hanging_agent_and_its_children_are_killed_at_the_timeout(tmp_path: Path, sandbox_cls: type) -> None:
    marker = f"3600.{uuid.uuid4().int % 10**9}"  # a sleep length nothing else on the machine uses
    ctx = make_ctx(tmp_path, sandbox_cls())
    fake = ctx.home / "fake-agent"  # inside the cell dir: a bwrap run sees only that part of /tmp
    fake.write_text(textwrap.dedent(f"""\
        #!/bin/sh
        echo starting
        sleep {marker} &
        ( sleep {marker} ) &
        setsid sleep {marker} &
        echo "child started" >&2
        sleep {marker}
        """))
    fake.chmod(0o755)
    env = scrubbed_env(ctx, {"OPENAI_API_KEY": ctx.api_key})
    start = time.monotonic()
    run = run_cli([str(fake)], ctx, env, timeout_s=2.0)
    elapsed = time.monotonic() - start
    assert run.timed_out and run.exit_code is None
    assert 1.9 <= elapsed < 8
    assert "starting" in run.stdout_tail and "child started" in run.stderr_tail
    status, reason = classify_outcome(run, 2.0)
    assert status == "agent_timeout" and "2s" in (reason or "")
    deadline = time.monotonic() + 3
    while processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert processes_with(marker) == []


@pytest.mark.parametrize("sandbox_cls", SANDBOXES)
def test_failing_agent_is_agent_error_with_its_stderr_reason(tmp_path: Path, sandbox_cls: type) -> None:
    ctx = make_ctx(tmp_path, sandbox_cls())
    fake = ctx.home / "broken-agent"
    fake.write_text("#!/bin/sh\necho working\necho 'Traceback ...' >&2\necho 'RuntimeError: model said no' >&2\nexit 3\n")
    fake.chmod(0o755)
    run = run_cli([str(fake)], ctx, scrubbed_env(ctx), timeout_s=20)
    assert run.exit_code == 3 and not run.timed_out
    assert classify_outcome(run, 20) == ("agent_error", "agent exited 3: RuntimeError: model said no")
    assert run.sandboxed == (sandbox_cls is BwrapSandbox)


def test_scrubbed_env_keeps_no_secret_and_no_user_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-real-secret")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-secret")
    monkeypatch.setenv("http_proxy", "http://corp-proxy:3128")
    monkeypatch.setenv("HOME", "/root")
    ctx = make_ctx(tmp_path, ProcessSandbox())
    env = scrubbed_env(ctx, {"OPENAI_API_KEY": ctx.api_key}, agent="aider")
    assert env["OPENAI_API_KEY"] == ctx.api_key
    assert "ANTHROPIC_API_KEY" not in env and "http_proxy" not in env and "HTTPS_PROXY" not in env
    assert env["HOME"] == str(ctx.home) and env["XDG_CONFIG_HOME"].startswith(str(ctx.home))
    assert env["PATH"].split(":")[0].endswith("aider/venv/bin")
    assert not any("secret" in v for v in env.values())
    # the agent really sees only that: print its environment from inside a run
    run = run_cli(["/usr/bin/env"], ctx, env, timeout_s=20)
    seen = dict(line.split("=", 1) for line in run.stdout_tail.splitlines() if "=" in line)
    assert seen["HOME"] == str(ctx.home) and "ANTHROPIC_API_KEY" not in seen and seen["PWD"] == str(ctx.workspace)
