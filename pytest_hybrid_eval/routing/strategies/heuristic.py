"""Heuristic: an agent-aware additive score over the newest turn, compared with a threshold.

Agent calls are mostly tool loops (read file, run tests) that a local model handles; the expensive
moment is the first call, where the agent plans. So tool results are discounted and the first call gets
a bonus. Plain chat has no such structure and is scored on the last user message alone, with its own
threshold. Every part of the score is returned as a feature so a row explains itself.
"""

from __future__ import annotations

import math
from typing import Any

from pytest_hybrid_eval.routing import features as fx
from pytest_hybrid_eval.routing.strategies import register
from pytest_hybrid_eval.routing.strategies.base import Decision, RouteRequest, StrategyContext
from pytest_hybrid_eval.routing.strategies.rules import keyword_matchers
from pytest_hybrid_eval.routing.tokens import count_text

DATA_FILES = ("keywords.yaml",)

#: Both thresholds are what a calibrated score is compared with (agent calls and plain chat).
THRESHOLD_PARAMS = ("threshold", "chat_threshold")

DEFAULTS: dict[str, float] = {
    "threshold": 12.0,  # agent calls
    "chat_threshold": 8.0,  # plain chat: one cloud keyword, ~400 tokens, or two code blocks
    "tokens_per_point": 50.0,
    "size_cap": 20.0,
    "code_block_weight": 4.0,
    "code_block_cap": 16.0,
    "cloud_keyword_weight": 8.0,
    "cloud_keyword_cap": 24.0,
    "local_keyword_weight": 6.0,
    "local_keyword_cap": 12.0,
    "tool_result_discount": 12.0,
    "after_tool_call_discount": 8.0,
    "first_call_bonus": 15.0,
}


def _param(params: dict[str, Any], key: str) -> float:
    return float(params.get(key, DEFAULTS[key]))


def confidence_from_distance(distance: float, scale: float = 10.0) -> float:
    """Map |score - threshold| to (0.5, 1): far from the line means sure, on the line means a coin flip."""
    return round(0.5 + 0.5 * math.tanh(abs(distance) / scale), 3)


def score_request(req: RouteRequest, params: dict[str, Any]) -> dict[str, Any]:
    """Compute the score, its parts, the threshold that applies and the signed distance to it."""
    messages = req.messages
    is_agent, agent_why = fx.is_agent_conversation(req.body, fx.load_keywords().get("agent_markers") or [])
    text = fx.delta_text(messages) if is_agent else fx.last_user_text(messages)
    tokens = count_text(text)
    blocks = fx.count_code_blocks(text)
    cloud_m, local_m = keyword_matchers()
    cloud_kw = cloud_m.find(text)
    local_kw = local_m.find(text)

    parts: dict[str, float] = {
        "size": min(_param(params, "size_cap"), tokens / _param(params, "tokens_per_point")),
        "code": min(_param(params, "code_block_cap"), blocks * _param(params, "code_block_weight")),
        "cloud_keywords": min(_param(params, "cloud_keyword_cap"),
                              len(cloud_kw) * _param(params, "cloud_keyword_weight")),
        "local_keywords": -min(_param(params, "local_keyword_cap"),
                               len(local_kw) * _param(params, "local_keyword_weight")),
        "tool_discount": 0.0,
        "first_call_bonus": 0.0,
    }
    if is_agent:
        if fx.delta_is_tool_result(messages):
            parts["tool_discount"] = -_param(params, "tool_result_discount")
        elif fx.follows_tool_call(messages):
            parts["tool_discount"] = -_param(params, "after_tool_call_discount")
        if not fx.has_assistant(messages):
            parts["first_call_bonus"] = _param(params, "first_call_bonus")
        threshold = _param(params, "threshold")
    else:
        threshold = _param(params, "chat_threshold")
    score = round(sum(parts.values()), 3)
    return {
        "score": score,
        "threshold": threshold,
        "distance": round(score - threshold, 3),
        "is_agent": is_agent,
        "agent_signal": agent_why,
        "tokens": tokens,
        "code_blocks": blocks,
        "cloud_keywords": cloud_kw,
        "local_keywords": local_kw,
        "parts": {k: round(v, 3) for k, v in parts.items()},
        "data_sha": fx.data_sha(*DATA_FILES),
    }


def decide_from_score(feats: dict[str, Any]) -> Decision:
    choice = "cloud" if feats["score"] >= feats["threshold"] else "local"
    kind = "agent" if feats["is_agent"] else "chat"
    op = ">=" if choice == "cloud" else "<"
    reason = f"{kind} score {feats['score']:g} {op} threshold {feats['threshold']:g}"
    return Decision(choice, reason, confidence_from_distance(feats["distance"]), dict(feats))


@register("heuristic")
class Heuristic:
    name = "heuristic"
    threshold_params = THRESHOLD_PARAMS
    score_request = staticmethod(score_request)

    async def decide(self, req: RouteRequest, ctx: StrategyContext) -> Decision:
        return decide_from_score(score_request(req, ctx.params))
