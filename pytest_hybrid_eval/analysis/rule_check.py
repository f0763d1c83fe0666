"""The recommendation rule applied to simulated sweeps, so its error rate and power are measured, not assumed.

The bounds are ``clustered.diff_intervals``, one-sided at the group's family level (``recommend.family_conf``),
one per pair of arms, oriented as ``decision_matrix`` orients them; the choice is ``recommend.choose``,
replicate by replicate. ``benchmarks/decision_error.py`` and ``analysis.power`` both use these functions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from pytest_hybrid_eval.analysis.recommend import Arm, Choice, choose, family_conf
from pytest_hybrid_eval.analysis.simulate import pair_counts
from pytest_hybrid_eval.clustered import Clustered, diff_intervals


def simulated_bounds(
    x: np.ndarray,
    conf: float,
    n_resamples: int,
    rng: np.random.Generator,
    pairs: Iterable[tuple[int, int]] | None = None,
) -> dict[tuple[int, int], Clustered]:
    """One-sided bounds of arm i − arm j (i < j) per replicate, from outcomes (reps, arms, tasks, seeds)."""
    k = x.shape[1]
    todo = pairs if pairs is not None else [(i, j) for i in range(k) for j in range(i + 1, k)]
    out = {}
    for i, j in todo:
        d = pair_counts(x[:, i], x[:, j])
        out[(i, j)] = diff_intervals(
            d["a"], d["b"], d["n10"], d["n01"], d["m"], conf=conf, n_resamples=n_resamples, rng=rng, sided=1
        )
    return out


def oriented(bounds: dict[tuple[int, int], Clustered], i: int, j: int, rep: int) -> dict[str, float]:
    """The bound of arm i − arm j in replicate ``rep`` (flipped from j − i when stored that way)."""
    if (i, j) in bounds:
        b = bounds[(i, j)]
        return {"estimate": float(b.estimate[rep]), "lo": float(b.lo[rep]), "hi": float(b.hi[rep])}
    b = bounds[(j, i)]
    return {"estimate": -float(b.estimate[rep]), "lo": -float(b.hi[rep]), "hi": -float(b.lo[rep])}


def simulated_choices(
    x: np.ndarray, costs: Sequence[float], margin: float, n_resamples: int, rng: np.random.Generator
) -> list[Choice]:
    """The rule's choice in every simulated sweep; arms are named ``"0"``, ``"1"``, … in the order of ``x``."""
    reps, k = x.shape[:2]
    bounds = simulated_bounds(x, family_conf(k), n_resamples, rng)
    rates = x.mean(axis=(2, 3))
    out = []
    for r in range(reps):
        arms = [Arm(str(i), float(rates[r, i]), float(costs[i])) for i in range(k)]
        out.append(choose(arms, lambda a, b, r=r: oriented(bounds, int(a), int(b), r), margin))
    return out
