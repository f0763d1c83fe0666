"""Agent registry: name -> factory. The built-in agent is always there; plugins add theirs.

Factories (not instances) are registered so each cell gets a fresh agent and so registering an agent
whose CLI is missing costs nothing until it is used (its ``version()`` then says it is not installed).
"""

from __future__ import annotations

from collections.abc import Callable

from pytest_hybrid_eval.agents.base import Agent
from pytest_hybrid_eval.agents.builtin import BuiltinAgent
from pytest_hybrid_eval.errors import HybridEvalError

__all__ = ["UnknownAgentError", "agent_names", "get_agent", "register_agent"]

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


register_agent("builtin", BuiltinAgent)

#: adapters of external agent CLIs; each module registers itself when imported (cheap: no CLI starts)
_ADAPTERS = ("aider", "mini_swe_agent", "cline", "opencode")


def _load_adapters() -> None:
    import importlib

    for mod in _ADAPTERS:
        try:
            importlib.import_module(f"pytest_hybrid_eval.agents.{mod}")
        except ModuleNotFoundError as exc:
            if exc.name != f"pytest_hybrid_eval.agents.{mod}":
                raise


_load_adapters()
