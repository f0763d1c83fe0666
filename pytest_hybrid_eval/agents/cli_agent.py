"""What every adapter around an external agent CLI shares: environment, process, timeout, outcome.

Why this module exists: aider, mini-swe-agent, cline and opencode differ only in their command line,
config files and output format. The hard parts are the same for all of them and easy to get subtly
wrong in four places, so they live here once:

- Environment (`scrubbed_env`): built from nothing, never copied from ``os.environ``. A cloud key, a
  user ``HOME`` with real agent configs, or an ``http_proxy`` that would route the 127.0.0.1 proxy
  traffic elsewhere must never reach an agent. Every run gets its own HOME and XDG dirs (``ctx.home``),
  so parallel cells never share agent state and nothing is written to the user's home.
- Process (`run_cli`): agents spawn helpers (git, shells, language servers, node workers). The agent runs
  as its own process group under the cell's sandbox machinery, and the whole group (plus anything that
  escaped into the per-run pids cgroup) is SIGKILLed at the timeout and after every run, so no orphan
  survives a cell.
- Sandbox (`run_cli` through the public `sandbox.agent` door): with bubblewrap the agent runs inside the
  cell's sandbox in a network namespace of its own whose only way out is the routing proxy (its
  ``127.0.0.1:PORT`` base URL works unchanged; any other address, loopback or public, is unreachable),
  with a read-only root, private ``/tmp``, and ``/root``, ``/home``, the task roots, the sweep's out dir
  and the repository hidden; only the cell's temp dir (workspace + private HOME) is writable, and the
  agent install dir is bound back read-only. The caps are the sweep's ``sandbox`` settings
  (``ctx.caps``: memory through a cgroup, pids, CPU seconds, a work-dir quota). Other sandbox kinds cannot
  host an agent that must reach the host's loopback (docker) or do not isolate (process): the agent then
  runs as a plain process group with the same caps and the row says ``sandboxed=false``.
- Outcome (`classify_outcome`): agents exit 0 even when the model was useless, so "ok" only means the CLI
  ran to its end; scoring decides success. A timeout is ``agent_timeout``; any other ending is
  ``agent_error`` with a one-line reason taken from the agent's own stderr.
"""

from __future__ import annotations

import os
import shutil
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from pytest_hybrid_eval.agents.base import AgentContext, AgentResult, AgentStatus
from pytest_hybrid_eval.agents.install import (
    PINNED,
    agents_dir,
    bin_dir,
    executable,
    install_command,
    installed_version,
)
from pytest_hybrid_eval.sandbox.agent import agent_limits, hosts_agents, run_agent

__all__ = [
    "BASE_PATH",
    "CliAgent",
    "CliRun",
    "agent_exposes",
    "classify_outcome",
    "not_installed",
    "run_cli",
    "scrubbed_env",
]

BASE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
TAIL_CHARS = 6000
_STDERR_FILE = ".hybrid-eval-agent.stderr"


def _tool_dirs() -> list[str]:
    """Directories of tools agents legitimately need (node for the npm agents, git, sh), without the user's PATH."""
    dirs: list[str] = []
    node = shutil.which("node")
    if node:
        dirs.append(str(Path(node).resolve().parent))
    return dirs


def scrubbed_env(ctx: AgentContext, extra: Mapping[str, str] | None = None, *, agent: str | None = None) -> dict[str, str]:
    """The complete environment for an agent process: built from scratch, nothing secret inherited.

    ``agent`` puts that agent's bin dir first on PATH. ``extra`` holds the agent's own variables (its
    dummy API key under the name the agent reads, config paths); it is applied last.
    """
    home = ctx.home
    path_parts = [str(bin_dir(agent))] if agent else []
    for part in [*_tool_dirs(), *BASE_PATH.split(":")]:
        if part not in path_parts:
            path_parts.append(part)
    env = {
        "PATH": ":".join(path_parts),
        "HOME": str(home),
        "USER": "agent",
        "LOGNAME": "agent",
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        "TMPDIR": str(home / "tmp"),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TERM": "dumb",
        "NO_COLOR": "1",
        "PYTHONUNBUFFERED": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        # the proxy is on loopback; make sure no proxy setting (even one an agent invents) diverts it
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    for key in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "TMPDIR"):
        Path(env[key]).mkdir(parents=True, exist_ok=True)
    env.update(extra or {})
    return env


def agent_exposes(agent: str) -> list[Path]:
    """Directories an agent needs read-only inside its sandbox: the install dir, and node's prefix for npm agents.

    Both may live under a hidden directory (the default install dir is under ``~/.cache``).
    """
    extra = [agents_dir().resolve()]
    node = shutil.which("node")
    if PINNED.get(agent, ("",))[0] == "npm" and node:
        extra.append(Path(node).resolve().parent.parent)
    return extra


def proxy_port(base_url: str) -> int | None:
    """The routing proxy's loopback port from a cell's base URL (None when it is not on loopback)."""
    parts = urlsplit(base_url)
    if parts.hostname not in ("127.0.0.1", "localhost"):
        return None
    return parts.port or (443 if parts.scheme == "https" else 80)


@dataclass
class CliRun:
    """One agent process run; iterating gives ``(exit_code, stdout_tail, stderr_tail, timed_out, duration)``."""

    exit_code: int | None
    stdout_tail: str
    stderr_tail: str
    timed_out: bool
    duration_s: float
    limit_hit: str | None = None
    sandbox_kind: str = "none"
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def sandboxed(self) -> bool:
        return self.sandbox_kind != "none"

    def __iter__(self) -> Iterator[object]:
        return iter((self.exit_code, self.stdout_tail, self.stderr_tail, self.timed_out, self.duration_s))


def _tail_of_file(path: Path, chars: int = TAIL_CHARS) -> str:
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - chars * 4))
            return fh.read().decode("utf-8", errors="replace")[-chars:]
    except OSError:
        return ""


def run_cli(argv: Sequence[str], ctx: AgentContext, env: Mapping[str, str], timeout_s: float, *,
            agent: str | None = None) -> CliRun:
    """Run an agent command in ``ctx.workspace`` as its own process group; kill the whole group at the end.

    stdout is captured (tail kept); stderr goes to a file in the private HOME so the two stay apart even
    though the sandbox runner merges streams. The writable root is the cell's temp dir holding both the
    workspace and HOME; the command then changes into the workspace itself.
    """
    if not argv:
        raise ValueError("empty argv")
    workspace = ctx.workspace.resolve()
    home = ctx.home.resolve()
    err_file = home / _STDERR_FILE
    err_file.unlink(missing_ok=True)
    run_env = dict(env)
    run_env["HYBRID_EVAL_STDERR"] = str(err_file)
    # sh: change into the workspace, then replace itself with the agent (same pid, same group)
    wrapped = ["/bin/sh", "-c", 'cd "$1" || exit 126; shift; exec "$@" 2>>"$HYBRID_EVAL_STDERR"', "sh",
               str(workspace), *argv]
    root = Path(os.path.commonpath([workspace, home]))
    if len(root.parts) < 3:  # the writable root must be the cell's private temp dir, never / or /tmp
        raise ValueError(f"workspace {workspace} and home {home} must share a private parent directory")
    start = time.monotonic()
    sandbox = ctx.sandbox if hosts_agents(ctx.sandbox) else None
    ran = run_agent(sandbox, wrapped, root, agent_limits(ctx.caps, timeout_s), run_env,
                    proxy_port=proxy_port(ctx.base_url), expose=agent_exposes(agent) if agent else [])
    res = ran.result
    out = CliRun(exit_code=res.exit_code, stdout_tail=res.output_tail[-TAIL_CHARS:], stderr_tail="",
                 timed_out=res.timed_out, duration_s=res.duration_s, limit_hit=res.limit_hit,
                 sandbox_kind=ran.sandbox_kind, extra=dict(res.extra))
    out.stderr_tail = _tail_of_file(err_file)
    out.duration_s = out.duration_s or time.monotonic() - start
    return out


_NOISE = ("warning", "deprecat", "notice", "hint:")


def _reason_line(text: str) -> str:
    """The most telling line of an error output: the last one naming an error, else the last non-empty one."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    for line in reversed(lines):
        low = line.lower()
        if ("error" in low or "exception" in low or "fatal" in low) and not low.startswith(_NOISE):
            return line[:300]
    return lines[-1][:300] if lines else ""


def classify_outcome(run: CliRun, timeout_s: float) -> tuple[AgentStatus, str | None]:
    """ok / agent_timeout / agent_error with a short reason (exit 0 is "ok" whatever the model did)."""
    if run.timed_out:
        return "agent_timeout", f"agent killed with its process group at the {timeout_s:.0f}s timeout"
    if run.exit_code == 0 and run.limit_hit is None:
        return "ok", None
    why = _reason_line(run.stderr_tail) or _reason_line(run.stdout_tail) or "no output"
    if run.limit_hit:
        return "agent_error", f"agent hit the {run.limit_hit} limit (exit {run.exit_code}): {why}"
    return "agent_error", f"agent exited {run.exit_code}: {why}"


def not_installed(name: str) -> AgentResult:
    """The result of a cell whose agent CLI is missing: names the command that installs it."""
    return AgentResult(status="not_installed",
                       reason=f"agent {name!r} is not installed; install it with: {install_command(name)}")


class CliAgent(ABC):
    """Template for an adapter around an installed CLI: subclasses build the command and read its output.

    Subclasses set ``name`` and implement `command` (argv + extra env, after writing any config under
    ``ctx.home``); they may override `inspect` to add facts from the agent's own output (turns,
    trajectory path) to the result.
    """

    name: str = ""

    def version(self) -> str | None:
        return installed_version(self.name)

    def install_hint(self) -> str:
        return install_command(self.name)

    @abstractmethod
    def command(self, ctx: AgentContext, exe: Path) -> tuple[list[str], dict[str, str]]:
        """The argv (starting with ``exe``) and the agent's own environment variables for this cell."""

    def inspect(self, ctx: AgentContext, run: CliRun, result: AgentResult) -> None:
        """Hook: read the agent's own output files into ``result`` (default: record the agent name only)."""
        result.extra.setdefault("agent", self.name)

    def run(self, ctx: AgentContext) -> AgentResult:
        exe = executable(self.name)
        version = installed_version(self.name)
        if exe is None or version is None:
            return not_installed(self.name)
        argv, extra_env = self.command(ctx, exe)
        env = scrubbed_env(ctx, extra_env, agent=self.name)
        run = run_cli(argv, ctx, env, ctx.timeout_s, agent=self.name)
        status, reason = classify_outcome(run, ctx.timeout_s)
        result = AgentResult(status=status, version=version, reason=reason, duration_s=run.duration_s,
                             stdout_tail=run.stdout_tail, stderr_tail=run.stderr_tail,
                             extra={"sandboxed": "true" if run.sandboxed else "false",
                                    "agent_sandbox": run.sandbox_kind,
                                    "network": run.extra.get("network", "host"),
                                    "exit_code": str(run.exit_code)})
        if run.limit_hit:
            result.extra["limit_hit"] = run.limit_hit
        self.inspect(ctx, run, result)
        return result
