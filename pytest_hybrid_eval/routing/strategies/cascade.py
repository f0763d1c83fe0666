"""Cascade: the heuristic decides unless its score sits near the threshold; then the classifier does.

Asking the classifier only inside the uncertainty band keeps the auxiliary cost (tokens, latency) to
the calls where a second opinion can change the outcome. Both opinions are recorded.
"""

from __future__ import annotations

from pytest_hybrid_eval.routing import features as fx
from pytest_hybrid_eval.routing.strategies import register
from pytest_hybrid_eval.routing.strategies.base import Decision, RouteRequest, StrategyContext
from pytest_hybrid_eval.routing.strategies.heuristic import THRESHOLD_PARAMS, decide_from_score, score_request
from pytest_hybrid_eval.routing.strategies.llm_classifier import ask_classifier

DATA_FILES = ("keywords.yaml", "classifier_prompt.md")


@register("cascade")
class Cascade:
    name = "cascade"
    #: outside the classifier band the heuristic's score decides, so calibration uses it and its thresholds
    threshold_params = THRESHOLD_PARAMS
    score_request = staticmethod(score_request)

    async def decide(self, req: RouteRequest, ctx: StrategyContext) -> Decision:
        band = float(ctx.params.get("band", 15))
        feats = score_request(req, ctx.params)
        first = decide_from_score(feats)
        features = dict(first.features)
        features.update(band=band, heuristic_choice=first.choice, classifier_answer=None,
                        data_sha=fx.data_sha(*DATA_FILES))
        if abs(feats["distance"]) > band:
            features["final"] = first.choice
            return Decision(first.choice, f"{first.reason}; outside band ±{band:g}", first.confidence,
                            features)
        op = await ask_classifier(req, ctx)
        features["classifier_answer"] = op.answer
        aux = [op.aux] if op.aux is not None else []
        if op.answer in ("SIMPLE", "COMPLEX"):
            choice = "cloud" if op.answer == "COMPLEX" else "local"
            reason = f"{first.reason}; inside band ±{band:g}, {op.reason}"
            confidence = 0.7
        else:
            choice = first.choice
            reason = f"{first.reason}; inside band ±{band:g}, {op.reason}; keeping heuristic choice"
            confidence = first.confidence
        features["final"] = choice
        return Decision(choice, reason, confidence, features, aux)
