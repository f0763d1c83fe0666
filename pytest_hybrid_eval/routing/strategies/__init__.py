"""Strategy registry: each module in this package registers itself with ``@register``.

Modules are imported automatically, so adding a strategy is adding one file; plugins register theirs
through the ``pytest_hybrid_register`` hook. A strategy name is a segment of the dotted cell id and of the
proxy's URL path, so it is checked when it is registered (no dots, no slashes, no surrounding spaces).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable

from pytest_hybrid_eval.errors import HybridEvalError
from pytest_hybrid_eval.routing.strategies.base import (
    Decision,
    EscalatingStrategy,
    RouteRequest,
    ScoringStrategy,
    Strategy,
    StrategyContext,
)

__all__ = ["Decision", "EscalatingStrategy", "RouteRequest", "ScoringStrategy", "Strategy", "StrategyContext",
           "get_strategy", "register", "strategy_names"]

_REGISTRY: dict[str, Callable[[], Strategy]] = {}
_loaded = False


class UnknownStrategyError(HybridEvalError):
    pass


def register(name: str) -> Callable[[type], type]:
    """The class decorator that makes ``name`` a strategy; an unusable name fails here, not in a sweep."""
    if not name or name != name.strip() or any(c in name for c in "./"):
        raise HybridEvalError(f"strategy name {name!r} is not usable in a cell id (no dots, no slashes, no surrounding spaces)")

    def deco(cls: type) -> type:
        cls.name = name
        _REGISTRY[name] = cls
        return cls

    return deco


def _load_all() -> None:
    global _loaded
    if _loaded:
        return
    for mod in pkgutil.iter_modules(__path__):
        if mod.name != "base":
            importlib.import_module(f"{__name__}.{mod.name}")
    _loaded = True


def strategy_names() -> list[str]:
    _load_all()
    return sorted(_REGISTRY)


def get_strategy(name: str) -> Strategy:
    _load_all()
    try:
        return _REGISTRY[name]()
    except KeyError:
        raise UnknownStrategyError(
            f"unknown strategy {name!r}; valid strategies: {', '.join(strategy_names())}"
        ) from None
