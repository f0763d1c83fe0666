"""Phase-aware: route by what the agent is doing, as revealed by its prompts.

Agents announce their phase: aider's architect mode sends an architect-role system prompt and then an
editor prompt asking for edit blocks; cline states "PLAN MODE" or "ACT MODE" in its environment details;
opencode makes a separate title-generation call. Planning deserves the strong model; mechanical edits
and titles do not. The patterns are data (router/keywords.yaml ``phases``), tried in order; when no
phase is recognised, or a phase says "heuristic", the heuristic decides and the reason says so.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from pytest_hybrid_eval.routing import features as fx
from pytest_hybrid_eval.routing.strategies import register
from pytest_hybrid_eval.routing.strategies.base import Decision, RouteRequest, StrategyContext
from pytest_hybrid_eval.routing.strategies.heuristic import THRESHOLD_PARAMS, decide_from_score, score_request

DATA_FILES = ("keywords.yaml",)
_WHERE = ("system", "last_user", "any")
_ROUTES = ("cloud", "local", "heuristic")


@lru_cache(maxsize=4)
def _compile(rules: tuple[tuple[str, str, str, tuple[str, ...]], ...]) -> list[tuple[str, str, str, list[re.Pattern[str]]]]:
    return [(name, where, route, [re.compile(p, re.IGNORECASE | re.MULTILINE) for p in pats])
            for name, where, route, pats in rules]


def phase_rules() -> list[tuple[str, str, str, list[re.Pattern[str]]]]:
    """Validated, compiled phase rules from router/keywords.yaml."""
    raw = fx.load_keywords().get("phases") or []
    rules = []
    for item in raw:
        where, route = item.get("where", "any"), item.get("route")
        if where not in _WHERE or route not in _ROUTES or not item.get("patterns"):
            raise ValueError(f"bad phase rule in keywords.yaml: {item!r}")
        rules.append((str(item["name"]), where, route, tuple(item["patterns"])))
    return _compile(tuple(rules))


def detect_phase(messages: list[dict[str, Any]]) -> tuple[str, str, str] | None:
    """(phase name, route, matched pattern) of the first rule that matches, or None."""
    texts = {"system": fx.system_text(messages), "last_user": fx.last_user_text(messages)}
    texts["any"] = texts["system"] + "\n" + texts["last_user"]
    for name, where, route, patterns in phase_rules():
        for pat in patterns:
            if pat.search(texts[where]):
                return name, route, pat.pattern
    return None


@register("phase-aware")
class PhaseAware:
    name = "phase-aware"
    #: without a decisive phase the heuristic's score decides, so calibration uses it and its thresholds
    threshold_params = THRESHOLD_PARAMS
    score_request = staticmethod(score_request)

    async def decide(self, req: RouteRequest, ctx: StrategyContext) -> Decision:
        found = detect_phase(req.messages)
        sha = fx.data_sha(*DATA_FILES)
        if found is not None and found[1] != "heuristic":
            phase, route, pattern = found
            return Decision(route, f"phase {phase} -> {route}", 0.8,
                            {"phase": phase, "phase_pattern": pattern, "fallback": False, "data_sha": sha})
        fallback = decide_from_score(score_request(req, ctx.params))
        features = dict(fallback.features)
        phase = found[0] if found else None
        features.update(phase=phase, phase_pattern=found[2] if found else None, fallback=True, data_sha=sha)
        prefix = f"phase {phase}: heuristic fallback" if phase else "no phase recognised: heuristic fallback"
        return Decision(fallback.choice, f"{prefix}; {fallback.reason}", fallback.confidence, features)
