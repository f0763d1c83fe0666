"""What each decision group can detect, from its real design, checked by simulating the actual rule.

The old table used the sweep's global task count for per-class groups (36 tasks claimed where a class had
9), assumed seeds independent, and trusted a normal approximation that promised 0.51 power where the real
rule achieved 0.40. Here every figure uses the group's own task count and seeds per task, the between-seed
correlation is estimated from the group's rows (1 — seeds add nothing — when it cannot be), and the normal
approximation is printed beside the power the actual interval achieves on simulated sweeps of that design.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from pytest_hybrid_eval.analysis.decision_matrix import group_rows
from pytest_hybrid_eval.analysis.simulate import simulate_pairs
from pytest_hybrid_eval.bootstrap import group_rng
from pytest_hybrid_eval.clustered import diff_intervals
from pytest_hybrid_eval.stats import power_tasks

DELTAS = (0.05, 0.10, 0.20)
SIM_REPS = 400


def seed_correlation(rows: pd.DataFrame) -> float:
    """Between-seed correlation of outcomes within (task, strategy), one-way ANOVA estimator in [0, 1];
    1 when it cannot be estimated (one seed per task, or no variation at all)."""
    g = rows.groupby(["task_id", "strategy"])["_pass"]
    m = g.size()
    if len(m) < 2 or m.max() < 2:
        return 1.0
    k = g.sum()
    n, c = float(m.sum()), len(m)
    p = k.sum() / n
    ssb = float(((k / m - p) ** 2 * m).sum())
    ssw = float((k - k**2 / m).sum())
    if ssw + ssb == 0:
        return 1.0
    msb, msw = ssb / max(c - 1, 1), ssw / max(n - c, 1)
    m0 = (n - float((m**2).sum()) / n) / max(c - 1, 1)
    rho = (msb - msw) / (msb + (m0 - 1) * msw) if msb + (m0 - 1) * msw > 0 else 1.0
    return float(min(max(rho, 0.0), 1.0))


def detectable_drop(base: float, tasks: int, seeds: int, icc: float, alpha: float = 0.05) -> float | None:
    """Smallest drop from ``base`` a two-sided paired test detects with power 0.8 (normal approximation,
    independent arms, design effect 1 + (seeds − 1)·icc); None if even the largest is out of reach."""
    lo, hi = 1e-3, base - 1e-3
    if hi <= lo or power_tasks(base, -hi, alpha, 0.8, seeds_per_task=seeds, icc=icc) > tasks:
        return None
    for _ in range(40):
        mid = (lo + hi) / 2
        if power_tasks(base, -mid, alpha, 0.8, seeds_per_task=seeds, icc=icc) <= tasks:
            hi = mid
        else:
            lo = mid
    return hi


def simulated_power(
    base: float, drop: float, tasks: int, seeds: int, icc: float, key: tuple[Any, ...], reps: int = SIM_REPS
) -> float:
    """Share of simulated sweeps of this design in which the comparison's 95% interval excludes 0."""
    rng = group_rng(("power", *key))
    d = simulate_pairs(base, base - drop, tasks, seeds, reps, max(icc, 0.05), rng)
    res = diff_intervals(d["a"], d["b"], d["n10"], d["n01"], d["m"], n_resamples=200, rng=rng)
    return float(np.mean(res.lo > 0))


def ruled_out_margin(
    base: float, tasks: int, seeds: int, icc: float, key: tuple[Any, ...], reps: int = SIM_REPS
) -> float:
    """The margin this design shows non-inferiority for 80% of the time when the strategies are equal:
    the 20th percentile of −(one-sided 95% lower bound) over simulated sweeps with no true difference."""
    rng = group_rng(("margin", *key))
    d = simulate_pairs(base, base, tasks, seeds, reps, max(icc, 0.05), rng)
    res = diff_intervals(d["a"], d["b"], d["n10"], d["n01"], d["m"], n_resamples=200, rng=rng, sided=1)
    return float(np.quantile(-res.lo, 0.8))


def power_rows(decisions: list[dict[str, Any]], df: pd.DataFrame, label_keys: list[str]) -> list[dict[str, Any]]:
    """Per decision group: its tasks, seeds per task, estimated seed correlation, tasks needed for drops of
    5/10/20 points (approximation), the detectable drop and the power the real rule has at that drop."""
    graded = df[df["graded"]].assign(_pass=lambda d: d["passed"].astype(float))
    out = []
    for d in decisions:
        label = {k: d[k] for k in label_keys}
        rows = group_rows(graded, label)
        tasks = int(rows["task_id"].nunique())
        seeds = int(max(1, rows.groupby(["task_id", "strategy"])["seed"].nunique().median()))
        icc = seed_correlation(rows)
        best = next(r for r in d["rows"] if r["strategy"] == d["best"])
        base = min(max(best["pass_rate"], 0.02), 0.98)
        need: dict[str, int | None] = {}
        for delta in DELTAS:
            try:
                need[f"tasks_for_{int(delta * 100)}pt"] = power_tasks(base, -delta, seeds_per_task=seeds, icc=icc)
            except ValueError:
                need[f"tasks_for_{int(delta * 100)}pt"] = None
        drop = detectable_drop(base, tasks, seeds, icc)
        key = tuple(label.values())
        sim = simulated_power(base, drop, tasks, seeds, icc, key) if drop else None
        out.append(
            {
                **label,
                "baseline": base,
                "n_tasks": tasks,
                "seeds_per_task": seeds,
                "seed_correlation": round(icc, 3),
                **need,
                "detectable_drop": drop,
                "simulated_power_at_drop": sim,
                "margin_shown_80pct_if_equal": ruled_out_margin(base, tasks, seeds, icc, key) if tasks > 1 else None,
            }
        )
    return out
