"""Paired sweeps with heterogeneous task difficulty, for checking intervals and the decision rule.

Each task's pass probability is drawn from a Beta distribution with the target mean and intra-task
correlation ``icc`` (Beta(μ·s, (1−μ)·s) with s = 1/icc − 1 has exactly that correlation between two
outcomes of one task). Arm B's task probability comes from the same task latent (Gaussian copula), and each
(task, seed) shares one uniform draw across arms — how paired runs at temperature 0 behave.
"""

from __future__ import annotations

import numpy as np
from scipy import stats as st


def task_probs(mean: float, icc: float, u: np.ndarray) -> np.ndarray:
    """Task pass probabilities at quantiles ``u`` of Beta(mean, icc); a mean of 0 or 1 is degenerate."""
    if mean >= 1.0 or mean <= 0.0:
        return np.full_like(u, mean, dtype=float)
    icc = min(max(icc, 1e-3), 0.999)
    s = 1 / icc - 1
    return st.beta.ppf(u, mean * s, (1 - mean) * s)


def simulate_pairs(
    rate_a: float, rate_b: float, tasks: int, seeds: int, reps: int, icc: float, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Per replicate and task (arrays (reps, tasks)): passes of A and B, discordant counts, pair counts."""
    lat = rng.random((reps, tasks))
    pa = task_probs(rate_a, icc, lat)[..., None]
    pb = task_probs(rate_b, icc, lat)[..., None]
    u = rng.random((reps, tasks, seeds))
    xa, xb = u < pa, u < pb
    return {
        "a": xa.sum(axis=2).astype(float),
        "b": xb.sum(axis=2).astype(float),
        "n10": (xa & ~xb).sum(axis=2).astype(float),
        "n01": (~xa & xb).sum(axis=2).astype(float),
        "m": np.full((reps, tasks), float(seeds)),
    }
