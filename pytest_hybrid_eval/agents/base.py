"""The Agent protocol: given a prepared workspace and a proxy URL for its cell, make the edits.

An agent never decides success: it runs, times out, and reports what happened; scoring decides.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

from pytest_hybrid_eval.cells import Cell
from pytest_hybrid_eval.sandbox.base import Limits, Sandbox
from pytest_hybrid_eval.tasks.model import Task

DUMMY_API_KEY = "sk-hybrid-eval-dummy"

AgentStatus = Literal["ok", "agent_error", "agent_timeout", "not_installed", "backend_error"]


@dataclass
class AgentContext:
    cell: Cell
    task: Task
    workspace: Path
    base_url: str  # OpenAI base URL for this cell, ending in /v1
    model: str  # model name the agent asks for (the proxy routes it)
    timeout_s: float
    max_turns: int
    sandbox: Sandbox
    home: Path  # private HOME / config dir for this run
    test_timeout_s: float = 60.0
    api_key: str = DUMMY_API_KEY
    #: the sweep's resource caps (``sandbox.memory_mb``, ``pids``, ``cpu_s``; see
    #: ``sandbox.select.limits_from_config``) for everything the agent runs; each run sets its own wall clock
    caps: Limits = field(default_factory=Limits)


@dataclass
class AgentResult:
    status: AgentStatus
    version: str = ""
    reason: str | None = None
    turns: int = 0
    duration_s: float = 0.0
    stdout_tail: str = ""
    stderr_tail: str = ""
    extra: dict[str, str] = field(default_factory=dict)


@runtime_checkable
class Agent(Protocol):
    """A coding agent. It may also carry a ``dialect`` attribute (`agents.dialect.Dialect`): how the
    scripted backend must answer it, read through ``registry.agent_dialect`` (without one it is answered
    in plain markdown)."""

    name: str

    def version(self) -> str | None:
        """Installed version, or None when the agent is not installed."""
        ...

    def install_hint(self) -> str:
        """The command that installs this agent."""
        ...

    def run(self, ctx: AgentContext) -> AgentResult: ...
