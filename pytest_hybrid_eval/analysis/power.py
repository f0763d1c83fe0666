"""What each decision group can detect, from its real design, checked by simulating the actual rule.

Every figure uses the group's own task count, seeds per task and number of strategies. The normal
approximation (``stats.power_tasks``) is taken at the rule's level — one-sided α / (k − 1), Bonferroni over
the group — and printed beside the rule's own behaviour on simulated sweeps of that design
(``analysis.rule_check``): the same bounds, the same family level, the best selected from the simulated
rates. Two mistakes of the earlier table are gone: equal arms were simulated with one shared draw per
(task, seed), so they never disagreed and the margin looked far easier to show than on real runs; and the
between-seed correlation (1 when it cannot be estimated) was reused as the spread of task difficulty,
which at 1 makes every task all-pass or all-fail. Here arms draw independently given the task, and the
spread of difficulty is ``task_icc``: the within-task correlation of one strategy's seeds when there are
several, else the correlation between two strategies' outcomes on the same (task, seed) (the same
quantity when arms are alike and independent given the task), else 0 — the most disagreement, the
cautious end.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from pytest_hybrid_eval.analysis.decision_matrix import group_rows
from pytest_hybrid_eval.analysis.recommend import ALPHA, Arm, best_arm, family_conf
from pytest_hybrid_eval.analysis.rule_check import oriented, simulated_bounds
from pytest_hybrid_eval.analysis.simulate import simulate_arms
from pytest_hybrid_eval.bootstrap import group_rng
from pytest_hybrid_eval.clustered import Clustered
from pytest_hybrid_eval.stats import power_tasks

DELTAS = (0.05, 0.10, 0.20)
SIM_REPS = 400
SIM_RESAMPLES = 200


def _anova_icc(rows: pd.DataFrame) -> float | None:
    """Between-seed correlation within (task, strategy), one-way ANOVA estimator in [0, 1]; None when it
    cannot be estimated (one seed per task, or no variation at all)."""
    g = rows.groupby(["task_id", "strategy"])["_pass"]
    m = g.size()
    if len(m) < 2 or m.max() < 2:
        return None
    k = g.sum()
    n, c = float(m.sum()), len(m)
    p = k.sum() / n
    ssb = float(((k / m - p) ** 2 * m).sum())
    ssw = float((k - k**2 / m).sum())
    if ssw + ssb == 0:
        return None
    msb, msw = ssb / max(c - 1, 1), ssw / max(n - c, 1)
    m0 = (n - float((m**2).sum()) / n) / max(c - 1, 1)
    rho = (msb - msw) / (msb + (m0 - 1) * msw) if msb + (m0 - 1) * msw > 0 else 1.0
    return float(min(max(rho, 0.0), 1.0))


def seed_correlation(rows: pd.DataFrame) -> float:
    """Between-seed correlation for the design effect; 1 (seeds add nothing) when it cannot be estimated."""
    rho = _anova_icc(rows)
    return 1.0 if rho is None else rho


def arm_correlation(rows: pd.DataFrame, best: str) -> float | None:
    """Mean correlation between each strategy's outcomes and ``best``'s on the (task, seed) pairs both ran;
    None when no pair of columns varies."""
    keys = [k for k in ("agent", "task_id", "seed") if k in rows.columns]
    wide = rows.pivot_table(index=keys, columns="strategy", values="_pass", aggfunc="mean")
    if best not in wide.columns or wide.shape[1] < 2:
        return None
    corr = np.asarray(wide.drop(columns=[best]).corrwith(wide[best]), dtype=float)
    corr = corr[np.isfinite(corr)]
    return float(corr.mean()) if corr.size else None


def task_icc(rows: pd.DataFrame, best: str) -> float:
    """The spread of task difficulty for the simulations (see the module text), in [0, 0.95]."""
    rho = _anova_icc(rows)
    if rho is None:
        rho = arm_correlation(rows, best)
    return float(min(max(rho if rho is not None else 0.0, 0.0), 0.95))


def detectable_drop(
    base: float, tasks: int, seeds: int, icc: float, n_arms: int = 2, alpha: float = ALPHA
) -> float | None:
    """Smallest drop from ``base`` that the rule's one-sided test at α / (k − 1) shows with power 0.8
    (normal approximation, independent arms, design effect 1 + (seeds − 1)·icc); None if out of reach."""
    two_sided = 2 * (1 - family_conf(n_arms, alpha))
    lo, hi = 1e-3, base - 1e-3
    if hi <= lo or power_tasks(base, -hi, two_sided, 0.8, seeds_per_task=seeds, icc=icc) > tasks:
        return None
    for _ in range(40):
        mid = (lo + hi) / 2
        if power_tasks(base, -mid, two_sided, 0.8, seeds_per_task=seeds, icc=icc) <= tasks:
            hi = mid
        else:
            lo = mid
    return hi


def _simulate(
    rates: list[float], tasks: int, seeds: int, icc: float, key: tuple[Any, ...], reps: int
) -> tuple[np.ndarray, dict[tuple[int, int], Clustered]]:
    """Independent draws given the task; arm 0 is the cheapest, the rest costlier in order."""
    rng = group_rng(key)
    x = simulate_arms(rates, tasks, seeds, reps, icc, rng, shared=False)
    bounds = simulated_bounds(
        x, family_conf(len(rates)), SIM_RESAMPLES, rng, pairs=[(0, j) for j in range(1, len(rates))]
    )
    return x, bounds


def simulated_power(
    base: float, drop: float, n_arms: int, tasks: int, seeds: int, icc: float, key: tuple[Any, ...],
    reps: int = SIM_REPS,
) -> float:
    """Share of simulated sweeps in which the rule shows the cheapest strategy, truly ``drop`` below the
    others, worse than the best point estimate (upper bound of cheapest − best below 0 at the rule's level)."""
    rates = [base - drop] + [base] * (n_arms - 1)
    x, bounds = _simulate(rates, tasks, seeds, icc, ("power", *key), reps)
    obs = x.mean(axis=(2, 3))
    shown = 0
    for r in range(reps):
        best = int(best_arm([Arm(str(i), float(obs[r, i]), float(i)) for i in range(n_arms)]).name)
        shown += best != 0 and oriented(bounds, 0, best, r)["hi"] < 0
    return shown / reps


def ruled_out_margin(
    base: float, n_arms: int, tasks: int, seeds: int, icc: float, key: tuple[Any, ...], reps: int = SIM_REPS
) -> float:
    """The margin at which the rule recommends the cheapest of ``n_arms`` equal strategies 80% of the time:
    the 80th percentile of −(its lowest lower bound against the costlier ones) over simulated sweeps."""
    x, bounds = _simulate([base] * n_arms, tasks, seeds, icc, ("margin", *key), reps)
    worst = np.min([bounds[(0, j)].lo for j in range(1, n_arms)], axis=0)
    return float(np.quantile(-worst, 0.8))


def power_rows(decisions: list[dict[str, Any]], df: pd.DataFrame, label_keys: list[str]) -> list[dict[str, Any]]:
    """Per decision group: its tasks, seeds per task, strategies, correlations, tasks needed for drops of
    5/10/20 points (approximation at the rule's level), the detectable drop, the rule's simulated power
    there, and the margin the rule shows for equal strategies 80% of the time."""
    graded = df[df["graded"]].assign(_pass=lambda d: d["passed"].astype(float))
    out = []
    for d in decisions:
        label = {k: d[k] for k in label_keys}
        rows = group_rows(graded, label)
        tasks = int(rows["task_id"].nunique())
        seeds = int(max(1, rows.groupby(["task_id", "strategy"])["seed"].nunique().median()))
        k = max(2, len(d["rows"]))
        icc = seed_correlation(rows)
        spread = task_icc(rows, d["best"])
        best = next(r for r in d["rows"] if r["strategy"] == d["best"])
        base = min(max(best["pass_rate"], 0.02), 0.98)
        two_sided = 2 * (1 - family_conf(k))
        need: dict[str, int | None] = {}
        for delta in DELTAS:
            try:
                need[f"tasks_for_{int(delta * 100)}pt"] = power_tasks(
                    base, -delta, two_sided, seeds_per_task=seeds, icc=icc
                )
            except ValueError:
                need[f"tasks_for_{int(delta * 100)}pt"] = None
        drop = detectable_drop(base, tasks, seeds, icc, k)
        key = tuple(label.values())
        out.append(
            {
                **label,
                "baseline": base,
                "n_tasks": tasks,
                "seeds_per_task": seeds,
                "strategies": k,
                "one_sided_level": round(1 - family_conf(k), 4),
                "seed_correlation": round(icc, 3),
                "task_icc_simulated": round(spread, 3),
                **need,
                "detectable_drop": drop,
                "simulated_power_at_drop": simulated_power(base, drop, k, tasks, seeds, spread, key) if drop else None,
                "margin_shown_80pct_if_equal": ruled_out_margin(base, k, tasks, seeds, spread, key) if tasks > 1 else None,
            }
        )
    return out
