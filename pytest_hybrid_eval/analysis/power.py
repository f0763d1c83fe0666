"""How many tasks a sweep needs, and what difference the current one can detect.

A sweep that cannot detect a 10-point difference should not be read as "the strategies are equal"; this
table puts that limit next to the decision matrix.
"""

from __future__ import annotations

from typing import Any

from pytest_hybrid_eval.stats import power_tasks

DELTAS = (0.05, 0.10, 0.20)


def minimal_detectable_delta(
    baseline: float, n_tasks: int, seeds_per_task: int, alpha: float = 0.05, power: float = 0.8
) -> float | None:
    """Smallest drop from ``baseline`` detectable with ``n_tasks`` (bisection on ``power_tasks``)."""
    base = min(max(baseline, 0.02), 0.98)
    lo, hi = 1e-3, base - 1e-3
    if hi <= lo or power_tasks(base, -hi, alpha, power, seeds_per_task=seeds_per_task) > n_tasks:
        return None
    for _ in range(40):
        mid = (lo + hi) / 2
        if power_tasks(base, -mid, alpha, power, seeds_per_task=seeds_per_task) <= n_tasks:
            hi = mid
        else:
            lo = mid
    return hi


def power_rows(decisions: list[dict[str, Any]], n_tasks: int, seeds_per_task: int) -> list[dict[str, Any]]:
    """Per decision group: tasks needed to detect drops of 5/10/20 points from the best strategy's rate
    (independent pairs, ρ = 0: conservative), and the drop the present design can detect."""
    out = []
    for d in decisions:
        best = next(r for r in d["rows"] if r["strategy"] == d["best"])
        base = min(max(best["pass_rate"], 0.02), 0.98)
        need = {}
        for delta in DELTAS:
            try:
                need[f"tasks_for_{int(delta * 100)}pt"] = power_tasks(
                    base, -delta, seeds_per_task=seeds_per_task
                )
            except ValueError:
                need[f"tasks_for_{int(delta * 100)}pt"] = None
        label = {k: v for k, v in d.items() if k not in ("rows", "reason", "best", "recommended")}
        out.append(
            {
                **label,
                "baseline": base,
                "seeds_per_task": seeds_per_task,
                "n_tasks": n_tasks,
                **need,
                "detectable_drop": minimal_detectable_delta(base, n_tasks, seeds_per_task),
            }
        )
    return out
