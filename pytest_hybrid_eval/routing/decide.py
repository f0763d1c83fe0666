"""The routing decision of one call: a tier forced by the model name, or the strategy's choice.

A client may pin a tier by suffixing the model name with ``!local`` or ``!cloud`` (the LLM judge does);
the strategy is then not asked. Otherwise the strategy decides with its ``routing.params`` and a
helper-model client (``auxclient``) bound to this call. In replay, a strategy whose helper call had no
recorded answer must not quietly decide without it: that would not be a replay of the sweep.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from pytest_hybrid_eval.config import SweepConfig
from pytest_hybrid_eval.routing.auxclient import LocalAuxClient
from pytest_hybrid_eval.routing.calls import CallState, ms
from pytest_hybrid_eval.routing.recorder import ReplayMiss
from pytest_hybrid_eval.routing.strategies import Decision, RouteRequest, Strategy, StrategyContext
from pytest_hybrid_eval.routing.upstreams import Upstreams

_FORCE_SUFFIXES = {"!local": "local", "!cloud": "cloud"}


def forced_tier(model: Any) -> str | None:
    """``local``/``cloud`` when the model name ends in ``!local``/``!cloud``, else None."""
    if isinstance(model, str):
        for suffix, tier in _FORCE_SUFFIXES.items():
            if model.endswith(suffix):
                return tier
    return None


class Decider:
    """Decides calls for one proxy and writes the decision (and its helper calls) into the call."""

    def __init__(self, config: SweepConfig, upstreams: Upstreams) -> None:
        self.config = config
        self.upstreams = upstreams

    async def decide(self, body: dict[str, Any], strategy: Strategy, cell_id: str | None,
                     call: CallState) -> Decision:
        tier = forced_tier(body.get("model"))
        t = time.perf_counter()
        if tier is not None:
            call.forced = True
            decision = Decision(choice=tier, reason=f"forced by model suffix !{tier}", confidence=1.0)  # type: ignore[arg-type]
        else:
            ctx = StrategyContext(
                params=self.config.routing.params.get(call.strategy, {}),
                aux=LocalAuxClient(self.upstreams["local"], self.upstreams.session, self.upstreams.retry,
                                   call.call_index),
                classifier_model=self.config.models.router_classifier,
            )
            decision = await strategy.decide(RouteRequest(body=body, cell_id=cell_id,
                                                          call_index=call.call_index), ctx)
        call.decide_ms = ms(t)
        call.decision = decision
        call.choice = decision.choice
        call.aux = list(decision.aux)
        missed = next((a for a in call.aux if a.error and a.error.startswith("ReplayMiss")), None)
        if missed is not None:
            raise ReplayMiss(cell_id, call.call_index, "local", f"{missed.kind} aux call",
                             Path(str(self.config.routing.replay_dir)))
        return decision
