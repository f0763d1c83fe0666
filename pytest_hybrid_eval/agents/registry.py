"""Agent registry: name -> factory. The built-in agent and the adapters are always there; plugins add theirs.

Factories (not instances) are registered so each cell gets a fresh agent and so registering an agent
whose CLI is missing costs nothing until it is used (its ``version()`` then says it is not installed).
An agent's ``dialect`` attribute (optional) tells the scripted backend how to speak to it; it is found
here too, through the agent, so an agent and its dialect are registered, replaced and named together.
"""

from __future__ import annotations

from collections.abc import Callable

from pytest_hybrid_eval.agents.aider import AiderAgent
from pytest_hybrid_eval.agents.base import Agent
from pytest_hybrid_eval.agents.builtin import BuiltinAgent
from pytest_hybrid_eval.agents.cline import ClineAgent
from pytest_hybrid_eval.agents.dialect import Dialect
from pytest_hybrid_eval.agents.mini_swe_agent import MiniSweAgent
from pytest_hybrid_eval.agents.opencode import OpencodeAgent
from pytest_hybrid_eval.errors import HybridEvalError

__all__ = ["UnknownAgentError", "agent_dialect", "agent_names", "get_agent", "register_agent"]

AgentFactory = Callable[[], Agent]

_FACTORIES: dict[str, AgentFactory] = {}


class UnknownAgentError(HybridEvalError):
    pass


def register_agent(name: str, factory: AgentFactory, *, replace: bool = False) -> None:
    """Make ``name`` available to sweeps; a second registration of a name is an error unless ``replace``."""
    if not name or "." in name or name != name.strip():
        raise HybridEvalError(f"agent name {name!r} is not usable in a cell id (no dots, no spaces)")
    if name in _FACTORIES and _FACTORIES[name] is not factory and not replace:
        raise HybridEvalError(f"agent {name!r} is already registered; pass replace=True to override it")
    _FACTORIES[name] = factory


def agent_names() -> list[str]:
    return sorted(_FACTORIES)


def get_agent(name: str) -> Agent:
    """A fresh agent instance for ``name``; unknown names raise with the list of valid ones."""
    try:
        factory = _FACTORIES[name]
    except KeyError:
        raise UnknownAgentError(f"unknown agent {name!r}; valid agents: {', '.join(agent_names())}") from None
    agent = factory()
    if not isinstance(agent, Agent):
        raise HybridEvalError(f"agent factory for {name!r} returned {agent!r}, which lacks name/version/run")
    return agent


def agent_dialect(name: str) -> Dialect | None:
    """The dialect of the agent registered as ``name``; None for an unknown agent or one without a dialect.

    Unknown names are not an error here: the scripted backend answers any client, registered or not.
    """
    if name not in _FACTORIES:
        return None
    dialect = getattr(get_agent(name), "dialect", None)
    if dialect is not None and not isinstance(dialect, Dialect):
        raise HybridEvalError(f"agent {name!r} has a dialect {dialect!r} that lacks reply/is_done/done_message")
    return dialect


for _name, _factory in (("builtin", BuiltinAgent), ("aider", AiderAgent), ("mini-swe-agent", MiniSweAgent),
                        ("cline", ClineAgent), ("opencode", OpencodeAgent)):
    register_agent(_name, _factory)
