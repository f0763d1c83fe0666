"""Baseline: every call goes to the cloud model."""

from __future__ import annotations

from pytest_hybrid_eval.routing.strategies import register
from pytest_hybrid_eval.routing.strategies.base import Decision, RouteRequest, StrategyContext


@register("always-cloud")
class AlwaysCloud:
    name = "always-cloud"

    async def decide(self, req: RouteRequest, ctx: StrategyContext) -> Decision:
        return Decision(choice="cloud", reason="always-cloud baseline", confidence=1.0)
