"""Statistics for small binary samples (docs/ARCHITECTURE.md, "Statistics").

Benchmark cells hold a handful of pass/fail outcomes, so a pass rate gets a Wilson or Jeffreys interval
(both keep nominal coverage near 0 and 1, where a percentile bootstrap over a few 0/1 values collapses to
a zero-width interval). The cluster bootstrap lives in ``bootstrap``; the task-clustered intervals the
summary and the decisions use live in ``clustered``.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats as _st

# --------------------------------------------------------------------------- intervals for one proportion


def wilson(k: int, n: int, conf: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for k successes in n trials; (0, 1) when there is no data."""
    _check_kn(k, n)
    if n == 0:
        return (0.0, 1.0)
    ci = _st.binomtest(int(k), int(n)).proportion_ci(confidence_level=conf, method="wilson")
    return (max(0.0, float(ci.low)), min(1.0, float(ci.high)))


def jeffreys(k: int, n: int, conf: float = 0.95) -> tuple[float, float]:
    """Equal-tailed Jeffreys interval: quantiles of Beta(k+1/2, n−k+1/2).

    As in Brown, Cai & DasGupta (2001) the lower end is 0 at k = 0 and the upper end is 1 at k = n, which
    keeps coverage at the boundary where the plain quantile would exclude the observed rate.
    """
    _check_kn(k, n)
    if n == 0:
        return (0.0, 1.0)
    alpha = 1.0 - conf
    dist = _st.beta(k + 0.5, n - k + 0.5)
    lo = 0.0 if k == 0 else float(dist.ppf(alpha / 2))
    hi = 1.0 if k == n else float(dist.ppf(1 - alpha / 2))
    return (lo, hi)


def _check_kn(k: int, n: int) -> None:
    if n < 0 or k < 0 or k > n:
        raise ValueError(f"need 0 <= k <= n, got k={k}, n={n}")


# --------------------------------------------------------------------------- paired tests and pass@k


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value from the discordant counts b (A pass, B fail) and c (A fail, B pass).

    Under H0 each discordant pair is equally likely to go either way, so b ~ Binomial(b + c, 1/2).
    No discordant pairs means no evidence of a difference: p = 1.
    """
    if b < 0 or c < 0:
        raise ValueError("discordant counts must be >= 0")
    if b + c == 0:
        return 1.0
    return float(_st.binomtest(int(b), int(b + c), 0.5).pvalue)


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k (Chen et al. 2021): chance at least one of k draws without replacement passes."""
    _check_kn(c, n)
    if not 1 <= k <= n:
        raise ValueError(f"need 1 <= k <= n, got k={k}, n={n}")
    if n - c < k:
        return 1.0
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def pass_hat_k(n: int, c: int, k: int) -> float:
    """pass^k (Yao et al. 2024): chance that all of k draws without replacement pass — consistency."""
    _check_kn(c, n)
    if not 1 <= k <= n:
        raise ValueError(f"need 1 <= k <= n, got k={k}, n={n}")
    return math.comb(c, k) / math.comb(n, k)


# --------------------------------------------------------------------------- power


def power_tasks(
    baseline: float,
    delta: float,
    alpha: float = 0.05,
    power: float = 0.8,
    paired_correlation: float = 0.0,
    seeds_per_task: int = 1,
    icc: float = 0.0,
) -> int:
    """Tasks needed to detect a pass-rate change ``delta`` from ``baseline`` with a two-sided paired test.

    Normal approximation on the per-pair difference D = A − B of two Bernoulli outcomes:
    Var(D) = p1·q1 + p2·q2 − 2ρ·sqrt(p1·q1·p2·q2) where ρ is the correlation of the two strategies'
    outcomes on the same (task, seed); n_pairs = (z_{1−α/2} + z_power)² · Var(D) / δ². With several seeds
    per task, pairs within a task are not independent: the design effect 1 + (m − 1)·icc inflates the
    pair count, which is then divided by m seeds per task. ρ = 0 reproduces the unpaired two-sample formula.
    """
    p1, p2 = baseline, baseline + delta
    if not (0 < p1 < 1 and 0 < p2 < 1) or delta == 0:
        raise ValueError("need 0 < baseline < 1, 0 < baseline + delta < 1 and delta != 0")
    if not (0 < alpha < 1 and 0 < power < 1 and -1 <= paired_correlation <= 1 and 0 <= icc <= 1):
        raise ValueError("alpha, power in (0, 1); paired_correlation in [-1, 1]; icc in [0, 1]")
    if seeds_per_task < 1:
        raise ValueError("seeds_per_task must be >= 1")
    var_d = p1 * (1 - p1) + p2 * (1 - p2) - 2 * paired_correlation * math.sqrt(p1 * (1 - p1) * p2 * (1 - p2))
    var_d = max(var_d, 1e-12)
    z = _st.norm.ppf(1 - alpha / 2) + _st.norm.ppf(power)
    pairs = z * z * var_d / (delta * delta)
    pairs *= 1 + (seeds_per_task - 1) * icc
    return max(1, math.ceil(pairs / seeds_per_task))


def wilson_many(k: np.ndarray, n: np.ndarray, conf: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised Wilson score interval (same formula scipy uses); n = 0 gives (0, 1).

    The analysis computes thousands of cell intervals, and a scipy call per cell would dominate its run time.
    """
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    z = float(_st.norm.ppf(1 - (1 - conf) / 2))
    nn = np.where(n > 0, n, 1.0)  # placeholder denominator; n = 0 rows are overwritten below
    p = k / nn
    denom = 1 + z * z / nn
    centre = (p + z * z / (2 * nn)) / denom
    half = z * np.sqrt(p * (1 - p) / nn + z * z / (4 * nn * nn)) / denom
    lo = np.where((n > 0) & (k > 0), np.clip(centre - half, 0, 1), 0.0)
    hi = np.where((n > 0) & (k < n), np.clip(centre + half, 0, 1), 1.0)
    return lo, hi
