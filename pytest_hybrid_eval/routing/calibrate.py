"""Threshold calibration (RouteLLM-style) and the router-eval table.

A score-based strategy sends a call to the cloud when its score reaches a threshold, so the threshold sets
the cloud share. Calibration turns the question people actually have ("I can afford 20% cloud") into a
threshold: the (1 - share) quantile of the scores the strategy gives real traffic. The scores come either
from a finished sweep (each call record's ``features.score``, i.e. the agent traffic that was really
routed) or from a labelled prompt file, scored here with the strategy's own scoring function; with labels
the accuracy at the calibrated threshold is reported too, so a cheap threshold is never mistaken for a
good one.

The scoring function and the parameters to pin come from the strategy itself (``ScoringStrategy``).
One threshold is calibrated for all calls; the heuristic has separate agent and chat thresholds, so the
result pins both (``params``).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from pytest_hybrid_eval.errors import HybridEvalError
from pytest_hybrid_eval.routing.strategies import (
    RouteRequest,
    ScoringStrategy,
    Strategy,
    get_strategy,
    strategy_names,
)

#: What a threshold is pinned to for a strategy that is not a ScoringStrategy (calibrated from a sweep).
DEFAULT_THRESHOLD_PARAMS = ("threshold",)


class CalibrationError(HybridEvalError):
    """Calibration cannot run: the message is one line naming the input and the fix."""


def _strategy(name: str) -> Strategy:
    if name not in strategy_names():
        raise CalibrationError(f"unknown strategy {name!r}; valid strategies: {', '.join(strategy_names())}")
    return get_strategy(name)


def _scoring(name: str) -> ScoringStrategy:
    strategy = _strategy(name)
    if not isinstance(strategy, ScoringStrategy):
        raise CalibrationError(f"strategy {name!r} has no score to calibrate on labelled prompts; "
                               "use a score-based strategy such as 'heuristic', or a sweep dir")
    return strategy


def _sweep_scores(raw: Path, strategy: str) -> list[float]:
    scores: list[float] = []
    for line in raw.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError:
            continue  # a torn last line of a running sweep; the rest still counts
        if not isinstance(row, dict) or row.get("strategy") != strategy:
            continue
        for rec in (row.get("calls") or {}).get("records") or []:
            score = (rec.get("features") or {}).get("score") if isinstance(rec, dict) else None
            numeric = isinstance(score, int | float) and not isinstance(score, bool) and math.isfinite(score)
            if numeric and not rec.get("forced"):  # a forced call's score did not route it
                scores.append(float(score))
    if not scores:
        raise CalibrationError(f"{raw}: no call of strategy {strategy!r} carries features.score; "
                               f"calibrate on a sweep that ran {strategy!r}, or on labelled prompts")
    return scores


def _prompt_scores(path: Path, scorer: ScoringStrategy,
                   params: dict[str, Any]) -> tuple[list[float], list[str]]:
    from pytest_hybrid_eval.routing.router_eval import load_prompts

    prompts = load_prompts(path)  # a bad file or line is a one-line HybridEvalError
    if not prompts:
        raise CalibrationError(f"{path}: no labelled prompts; one JSON object per line with label and body")
    scores, labels = [], []
    for i, row in enumerate(prompts):
        feats = scorer.score_request(RouteRequest(body=row["body"], cell_id="calibrate", call_index=i), params)
        scores.append(float(feats["score"]))
        labels.append(row["label"])
    return scores, labels


def threshold_for_share(scores: list[float], share: float) -> float:
    """The threshold at which ``score >= threshold`` holds for ``share`` of ``scores`` (as near as ties allow).

    Between two neighbouring scores the midpoint is taken, so a small shift of traffic does not flip
    the calls that sit exactly on the boundary.
    """
    ordered = sorted(scores, reverse=True)
    k = round(share * len(ordered))
    if k <= 0:
        return ordered[0] + 1.0  # above every score: nothing goes to the cloud
    if k >= len(ordered):
        return ordered[-1]
    hi, lo = ordered[k - 1], ordered[k]
    return round((hi + lo) / 2, 6) if hi != lo else hi


def calibrate(strategy: str, target_cloud_share: float, source: Path | str,
              params: dict[str, Any] | None = None) -> dict[str, Any]:
    """The threshold that sends ``target_cloud_share`` of calls to the cloud, from a sweep dir or prompts.

    Returns threshold, achieved_share, n, the params to pin, the source kind, and (labelled prompts
    only) accuracy at that threshold.
    """
    if not 0.0 <= target_cloud_share <= 1.0:
        raise CalibrationError(f"target cloud share {target_cloud_share} is outside [0, 1]; pass e.g. 0.2")
    src = Path(source)
    labels: list[str] | None = None
    if src.is_dir():
        raw = src / "raw.jsonl"
        if not raw.is_file():
            raise CalibrationError(f"{src}: no raw.jsonl; pass a sweep output dir or a labelled prompt JSONL")
        found = _strategy(strategy)
        scores, kind = _sweep_scores(raw, strategy), "sweep"
    elif src.is_file():
        found = _scoring(strategy)
        scores, labels = _prompt_scores(src, found, dict(params or {}))
        kind = "prompts"
    else:
        raise CalibrationError(f"{src}: not found; pass a sweep output dir or a labelled prompt JSONL")
    threshold = threshold_for_share(scores, target_cloud_share)
    choices = ["cloud" if s >= threshold else "local" for s in scores]
    result: dict[str, Any] = {
        "strategy": strategy,
        "source": str(src),
        "source_kind": kind,
        "n": len(scores),
        "target_share": target_cloud_share,
        "threshold": threshold,
        "achieved_share": round(choices.count("cloud") / len(scores), 4),
        "params": {p: threshold for p in (found.threshold_params if isinstance(found, ScoringStrategy)
                                          else DEFAULT_THRESHOLD_PARAMS)},
        "accuracy": None,
    }
    if labels is not None:
        right = sum(c == label for c, label in zip(choices, labels, strict=True))
        result["accuracy"] = round(right / len(labels), 4)
    return result


def calibration_lines(result: dict[str, Any]) -> list[str]:
    """What ``hybrid-eval calibrate`` prints."""
    pins = " ".join(f"routing.params.{result['strategy']}.{k}={v:g}" for k, v in result["params"].items())
    lines = [f"{result['strategy']}: threshold {result['threshold']:g} sends {result['achieved_share']:.1%} "
             f"of {result['n']} calls to the cloud (target {result['target_share']:.1%}; {result['source_kind']} "
             f"{result['source']})"]
    if result["accuracy"] is not None:
        lines.append(f"accuracy against the labels at this threshold: {result['accuracy']:.1%}")
    lines.append(f"pin it with: {pins}")
    return lines


def router_eval_table(rows: list[dict[str, Any]]) -> list[str]:
    """Fixed-width lines for ``router_eval.evaluate`` results: accuracy, cloud share, decide ms p50/p99."""
    def pct(v: float | None) -> str:
        return "-" if v is None else f"{v:.1%}"

    def ms(v: float | None) -> str:
        return "-" if v is None else f"{v:.3f}"

    head = (f"{'strategy':<16} {'n':>4} {'accuracy':>9} {'chat':>7} {'agent':>7} {'cloud':>7} "
            f"{'p50 ms':>9} {'p99 ms':>9} {'aux':>5} {'errors':>6}")
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(f"{r['strategy']:<16} {r['n']:>4} {pct(r.get('accuracy')):>9} {pct(r.get('accuracy_chat')):>7} "
                     f"{pct(r.get('accuracy_agent')):>7} {pct(r.get('cloud_share')):>7} "
                     f"{ms(r.get('decide_ms_p50')):>9} {ms(r.get('decide_ms_p99')):>9} "
                     f"{r.get('aux_calls', 0):>5} {len(r.get('errors') or []):>6}")
        if r.get("no_classifier"):
            lines.append(f"  {r['strategy']}: {r['no_classifier']} decisions made without a classifier (local default)")
    if rows and rows[0].get("prompts_sha"):
        lines.append(f"prompts sha256 {str(rows[0]['prompts_sha'])[:12]}")
    return lines
