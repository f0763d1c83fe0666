"""Running an agent CLI: the one public door agents use, so they never import a private sandbox module.

An agent differs from candidate code in two ways, and both are decided here rather than by each adapter:

- Network: it must reach the routing proxy and nothing else. A sandbox that can host an agent offers
  ``run_agent(argv, cwd, limits, env, proxy_port=..., expose=...)`` (bubblewrap does: a private network
  namespace whose only way out is the proxy's port, ``extra["network"] == "proxy-only"``).
- Files: its install dir (and node's prefix for npm agents) may live under a hidden directory and is
  bound back read-only (``expose``).

A sandbox without that capability (docker cannot reach the host's loopback; ``process`` does not
isolate) runs the agent as a plain process group with the same caps, and `AgentRun.sandbox_kind` is
``"none"`` so the row says ``sandboxed=false``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pytest_hybrid_eval.sandbox.base import Limits, Sandbox, SandboxResult
from pytest_hybrid_eval.sandbox.process import ProcessSandbox

#: RLIMIT_AS for agents: Python agents with litellm map ~1-2 GB of address space and V8 reserves far more
#: virtual memory than it touches, so this is a runaway guard; ``memory_mb`` is enforced by the memory cgroup
AGENT_ADDRESS_SPACE_MB = 32768
AGENT_OUTPUT_BYTES = 50_000_000


@dataclass
class AgentRun:
    result: SandboxResult
    sandbox_kind: str  # the sandbox kind the agent ran in, or "none" for a plain process group


def agent_limits(caps: Limits, wall_s: float) -> Limits:
    """The sweep's caps (memory, pids, CPU, disk) for an agent run of ``wall_s`` seconds.

    Only the address-space guard and the output cap differ from candidate code: an agent's log is long,
    and its memory is held by the cgroup (see `AGENT_ADDRESS_SPACE_MB`).
    """
    return dataclasses.replace(caps, wall_s=wall_s, address_space_mb=max(AGENT_ADDRESS_SPACE_MB, caps.memory_mb),
                               output_bytes=max(AGENT_OUTPUT_BYTES, caps.output_bytes))


def hosts_agents(sandbox: Sandbox | None) -> bool:
    """True when ``sandbox`` can run an agent isolated with only the proxy reachable."""
    return callable(getattr(sandbox, "run_agent", None))


def run_agent(sandbox: Sandbox | None, argv: list[str], cwd: Path, limits: Limits, env: dict[str, str], *,
              proxy_port: int | None, expose: Sequence[Path] = ()) -> AgentRun:
    """Run an agent command in ``cwd`` (its only writable place) with ``limits``; see the module doc."""
    if sandbox is not None and hosts_agents(sandbox):
        res = sandbox.run_agent(argv, cwd, limits, env, proxy_port=proxy_port,  # type: ignore[attr-defined]
                                expose=list(expose))
        return AgentRun(result=res, sandbox_kind=sandbox.kind)
    return AgentRun(result=ProcessSandbox().run(argv, cwd, limits, env=env), sandbox_kind="none")
