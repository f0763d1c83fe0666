"""Read the seed project's two raw.jsonl row formats and summarise them on our terms.

Early kind: ``category`` A–D and ``route`` R1–R5 (the route is the routing configuration; no agent,
strategy or seed). Later kind: ``route`` is the agent name, ``router_strategy`` the strategy, ``seed`` an
int. Both carry tokens (optionally split local/cloud), latency, quality and routing blocks.

Semantics applied (SEED-NOTES): ``functional_pass`` null means "not graded" (kept for cost, left out of
pass rates) unless the row has an error — error rows are failures, never dropped. Cost is not stored:
cloud tokens × scenario price, local tokens free, cached capped at the cloud prompt, and a row without a
local/cloud split counts as all cloud (the conservative reading).
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

import numpy as np
import pandas as pd

from pytest_hybrid_eval.pricing import PricingTable, load_table
from pytest_hybrid_eval.stats import wilson_many

_EARLY_ROUTE = re.compile(r"^R\d+$")
_SPLIT_KEYS = ("local_prompt", "local_completion", "cloud_prompt", "cloud_completion")


def is_seed_record(obj: dict[str, Any]) -> bool:
    """Seed rows have a ``quality`` block and a ``route``; ours have ``cell_id`` and ``provenance``."""
    return "quality" in obj and "route" in obj and "cell_id" not in obj


def seed_kind(obj: dict[str, Any]) -> str:
    route = str(obj.get("route") or "")
    if obj.get("router_strategy") is None and _EARLY_ROUTE.match(route):
        return "seed-early"
    return "seed-late"


def _error_class(err: object) -> str:
    if err is None or err == "":
        return "none"
    text = str(err).lower()
    if "timeout" in text or "timed out" in text:
        return "agent_timeout"
    return "agent_error"


def _int(x: object) -> int:
    try:
        return int(x) if x is not None else 0  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return 0


def _tokens(tok: dict[str, Any]) -> dict[str, int]:
    """Split tokens per tier; no split recorded (or an all-zero split with traffic) means all cloud."""
    prompt, completion = _int(tok.get("prompt")), _int(tok.get("completion"))
    cached, reasoning = _int(tok.get("cached")), _int(tok.get("reasoning"))
    has_split = all(k in tok and tok[k] is not None for k in _SPLIT_KEYS)
    split = {k: _int(tok.get(k)) for k in _SPLIT_KEYS}
    if not has_split or (sum(split.values()) == 0 and prompt + completion > 0):
        split = {
            "local_prompt": 0,
            "local_completion": 0,
            "cloud_prompt": prompt,
            "cloud_completion": completion,
        }
    cloud_has = split["cloud_prompt"] + split["cloud_completion"] > 0
    out = {
        "local_prompt": split["local_prompt"],
        "local_completion": split["local_completion"],
        "local_cached": 0,
        "local_reasoning": 0 if cloud_has else reasoning,
        "cloud_prompt": split["cloud_prompt"],
        "cloud_completion": split["cloud_completion"],
        "cloud_cached": min(cached, split["cloud_prompt"]),
        "cloud_reasoning": reasoning if cloud_has else 0,
    }
    for k in ("prompt", "completion", "cached", "reasoning"):
        out[f"aux_{k}"] = 0
        if k != "reasoning":
            out[f"auxcloud_{k}"] = 0
    return out


def seed_records_to_dicts(records: list[dict[str, Any]], sweep: str = "seed") -> list[dict[str, Any]]:
    """Convert seed rows to frame dicts. Early rows get agent = their ``variant`` (else the sweep name),
    strategy = route and a seed equal to the run's order among rows of the same task, agent and route, so
    repeated runs pair up in order."""
    occurrence: dict[tuple[str, str, str], int] = defaultdict(int)
    ordered = sorted(enumerate(records), key=lambda ir: (str(ir[1].get("started_at") or ""), ir[0]))
    out: list[dict[str, Any]] = []
    for _, rec in ordered:
        kind = seed_kind(rec)
        task = str(rec.get("task_id"))
        if kind == "seed-early":
            # no agent field: the variant (local-model setup) or else the sweep names the system under test
            agent, strategy = str(rec.get("variant") or sweep), str(rec.get("route"))
            key = (task, agent, strategy)
            seed = occurrence[key]
            occurrence[key] += 1
        else:
            agent, strategy = str(rec.get("route")), str(rec.get("router_strategy") or "unknown")
            seed = _int(rec.get("seed"))
        q = rec.get("quality") or {}
        routing = rec.get("routing") or {}
        latency = rec.get("latency") or {}
        fp = q.get("functional_pass")
        err = _error_class(rec.get("error"))
        backends = [str(b) for b in (routing.get("per_call_backends") or [])]
        d: dict[str, Any] = {
            "sweep": sweep,
            "cell_id": f"{task}.{agent}.{strategy}.s{seed}",
            "task_id": task,
            "task_class": str(rec.get("category") or "?"),
            "family": task.split("/")[0],
            "difficulty": "",
            "agent": agent,
            "strategy": strategy,
            "seed": seed,
            "passed": fp is True and err == "none",
            "graded": fp is not None or err != "none",
            "error": err,
            "reason": str(rec.get("error") or "")[:200],
            "tests_passed": _int(q.get("tests_passed")),
            "tests_total": _int(q.get("tests_total")),
            "calls_local": _int(routing.get("local_calls")),
            "calls_cloud": _int(routing.get("cloud_calls")),
            "calls_aux": 0,
            "calls_failed": 0,
            "wall_ms": float(latency.get("wall_ms") or 0.0),
            "agent_ms": float(latency.get("wall_ms") or 0.0),
            "backend": "live",
            "local_model": str(rec.get("local_model_id") or ""),
            "cloud_model": str(rec.get("cloud_model_id") or ""),
            "models": str(rec.get("variant") or "+".join(sorted(set(backends))) or ""),
            "pricing_sha": "",
            "config_sha": str(rec.get("config_sha") or ""),
            "started_at": str(rec.get("started_at") or ""),
            "source_format": kind,
        }
        d.update(_tokens(rec.get("tokens") or {}))
        out.append(d)
    return out


def summarize_seed(
    df: pd.DataFrame, table: PricingTable | None = None, scenarios: list[str] | None = None
) -> pd.DataFrame:
    """Per agent (route) and strategy: rows, graded, passes, pass rate with Wilson interval, errors,
    cloud token share and the total cloud cost under each pricing scenario."""
    table = table or load_table()
    scenarios = [table.resolve(s) for s in (scenarios or table.scenario_names)]
    from pytest_hybrid_eval.analysis.frame import add_costs  # frame imports this module

    work = add_costs(df, table, scenarios, primary=scenarios[0])
    work["_gp"] = work["passed"] & work["graded"]
    work["_err"] = work["error"] != "none"
    work["_cloud_tok"] = work["cloud_prompt"] + work["cloud_completion"]
    work["_all_tok"] = work["_cloud_tok"] + work["local_prompt"] + work["local_completion"]
    agg = work.groupby(["agent", "strategy"], sort=True).agg(
        rows=("task_id", "size"),
        graded=("graded", "sum"),
        passed=("_gp", "sum"),
        errors=("_err", "sum"),
        cloud_tokens=("_cloud_tok", "sum"),
        all_tokens=("_all_tok", "sum"),
        **{f"cost__{sc}": (f"cost__{sc}", "sum") for sc in scenarios},
    )
    agg["pass_rate"] = np.where(
        agg["graded"] > 0, agg["passed"] / agg["graded"].where(agg["graded"] > 0, 1), np.nan
    )
    agg["pass_lo"], agg["pass_hi"] = wilson_many(agg["passed"].to_numpy(), agg["graded"].to_numpy())
    agg["cloud_share"] = agg["cloud_tokens"] / agg["all_tokens"].where(agg["all_tokens"] > 0, 1)
    cols = ["rows", "graded", "passed", "pass_rate", "pass_lo", "pass_hi", "errors", "cloud_share"]
    return agg[cols + [f"cost__{sc}" for sc in scenarios]].reset_index()
