"""Paired sweeps with heterogeneous task difficulty, for checking intervals and the decision rule.

Each task's pass probability is drawn from a Beta distribution with the target mean and intra-task
correlation ``icc`` (Beta(μ·s, (1−μ)·s) with s = 1/icc − 1 has exactly that correlation between two
outcomes of one task). Every arm's task probability comes from the same task latent (Gaussian copula).
With ``shared`` draws each (task, seed) uses one uniform for all arms — paired runs at temperature 0 on
the scripted backend — so equal arms never disagree; with independent draws they disagree as often as
two different routes' answers would, which is what power for real sweeps must assume.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import stats as st


def task_probs(mean: float, icc: float, u: np.ndarray) -> np.ndarray:
    """Task pass probabilities at quantiles ``u`` of Beta(mean, icc); a mean of 0 or 1 is degenerate."""
    if mean >= 1.0 or mean <= 0.0:
        return np.full_like(u, mean, dtype=float)
    icc = min(max(icc, 1e-3), 0.999)
    s = 1 / icc - 1
    return st.beta.ppf(u, mean * s, (1 - mean) * s)


def simulate_arms(
    rates: Sequence[float],
    tasks: int,
    seeds: int,
    reps: int,
    icc: float,
    rng: np.random.Generator,
    shared: bool = True,
) -> np.ndarray:
    """Outcomes (reps, arms, tasks, seeds) of simulated sweeps: True = the cell passed."""
    lat = rng.random((reps, tasks))
    p = np.stack([task_probs(r, icc, lat) for r in rates], axis=1)[..., None]
    u = rng.random((reps, 1, tasks, seeds)) if shared else rng.random((reps, len(rates), tasks, seeds))
    return u < p


def pair_counts(xa: np.ndarray, xb: np.ndarray) -> dict[str, np.ndarray]:
    """Per replicate and task (arrays (reps, tasks)) from outcomes (reps, tasks, seeds) of two arms:
    passes of each, discordant counts and pair counts — the arrays ``clustered.diff_intervals`` takes."""
    return {
        "a": xa.sum(axis=2).astype(float),
        "b": xb.sum(axis=2).astype(float),
        "n10": (xa & ~xb).sum(axis=2).astype(float),
        "n01": (~xa & xb).sum(axis=2).astype(float),
        "m": np.full(xa.shape[:2], float(xa.shape[2])),
    }


def simulate_pairs(
    rate_a: float,
    rate_b: float,
    tasks: int,
    seeds: int,
    reps: int,
    icc: float,
    rng: np.random.Generator,
    shared: bool = True,
) -> dict[str, np.ndarray]:
    """Two arms' ``pair_counts`` per replicate and task (arrays (reps, tasks))."""
    x = simulate_arms((rate_a, rate_b), tasks, seeds, reps, icc, rng, shared)
    return pair_counts(x[:, 0], x[:, 1])
