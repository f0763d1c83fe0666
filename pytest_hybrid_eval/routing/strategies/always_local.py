"""Baseline: every call goes to the local model."""

from __future__ import annotations

from pytest_hybrid_eval.routing.strategies import register
from pytest_hybrid_eval.routing.strategies.base import Decision, RouteRequest, StrategyContext


@register("always-local")
class AlwaysLocal:
    name = "always-local"

    async def decide(self, req: RouteRequest, ctx: StrategyContext) -> Decision:
        return Decision(choice="local", reason="always-local baseline", confidence=1.0)
