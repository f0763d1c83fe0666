"""Strategy registry: each module in this package registers itself with ``@register``.

Modules are imported automatically, so adding a strategy is adding one file.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable

from pytest_hybrid_eval.errors import HybridEvalError
from pytest_hybrid_eval.routing.strategies.base import Decision, RouteRequest, Strategy, StrategyContext

__all__ = ["Decision", "RouteRequest", "Strategy", "StrategyContext", "register", "get_strategy", "strategy_names"]

_REGISTRY: dict[str, Callable[[], Strategy]] = {}
_loaded = False


class UnknownStrategyError(HybridEvalError):
    pass


def register(name: str) -> Callable[[type], type]:
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
