"""Task-clustered intervals that keep their coverage with few tasks: pass rates and paired differences.

Why not the plain percentile cluster bootstrap: with 5–9 tasks it is too narrow (it ignores that the
bootstrap variance is biased by (T−1)/T and uses a normal quantile), and on 0/n or n/n groups — or paired
data with no discordant pair — every resample is identical, so it collapses to a point. Why not a Wilson
interval on all rows: three seeds of one task are not three tasks (coverage 0.83 at 9 tasks × 3 seeds).

Method (chosen by ``benchmarks/interval_coverage.py``): the bootstrap over tasks (each drawn task keeps
all its seeds, so seeds stay nested in their task) measures the variance of the pooled figure; divided by
the variance rows would have if independent it gives the design effect, and the row count divided by it
is the *effective* number of independent observations, kept between the task count and the row count.
When the bootstrap cannot measure it (no variation at all) the conservative end is taken: seeds fully
correlated, n_eff = number of tasks. The interval is then a score interval on n_eff, with the bootstrap variance scaled by T/(T − 1) (its bias):
for a rate, Wilson with Student's t on T − 1 degrees of freedom in place of the normal quantile (the
price of estimating the clustering from few tasks: with the normal quantile coverage fell to 0.92 at
9 tasks × 3 seeds), widened where needed to Clopper-Pearson on the effective counts (Wilson alone dips
near the boundary: 0.87 at p = 0.985 with 9 tasks, 0.85 at p = 0.995 with 36 — rates the benchmark's
grid of 0.9 and 1.0 does not hit; the envelope's exact coverage with one seed is ≥ 0.95 at every p); for a paired difference, Tango's score interval on the effective discordant counts
with the normal quantile and a continuity correction of half an (effective) pair. Without the correction
the one-sided lower bound covered 0.928 and 0.920 at 36 and 100 tasks × 1 seed (true rates 1.0 vs 0.9),
and its exact coverage over a grid of discordance rates fell to 0.913–0.933 at 5–100 tasks; a t quantile
did not help there (t(35) ≈ z), while the correction lifts the exact worst case to 0.942–0.97 for widths
5–10% larger. Score intervals never collapse at 0 or 1, nor to a point when no pair is discordant.

Everything is vectorised over a leading axis of replicates, so the coverage benchmark and the power
simulation run exactly the function the summary and the decisions use.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats as st

#: Bootstrap resamples used for the design effect unless a caller asks otherwise (it only sets n_eff,
#: whose relative noise is about sqrt(2 / B): 3% at 2000).
DEFAULT_RESAMPLES = 2000
#: Continuity correction of the paired-difference score interval, in effective pairs (see the module text).
CONTINUITY = 0.5
_CHUNK = 4_000_000  # elements per (replicates × resamples × tasks) block: bounds memory


def _as2d(x: np.ndarray) -> np.ndarray:
    a = np.asarray(x, dtype=float)
    return a[None, :] if a.ndim == 1 else a


def boot_ratio_var(num: np.ndarray, den: np.ndarray, n_resamples: int, rng: np.random.Generator) -> np.ndarray:
    """Variance of Σnum/Σden over resamples of tasks with replacement, per replicate (rows of (R, T))."""
    num, den = _as2d(num), _as2d(den)
    r_all, t = num.shape
    out = np.empty(r_all)
    step = max(1, _CHUNK // max(1, n_resamples * t))
    for s in range(0, r_all, step):
        e = min(r_all, s + step)
        idx = rng.integers(0, t, size=(e - s, n_resamples, t))
        nn = np.take_along_axis(num[s:e, None, :], idx, axis=2).sum(axis=2)
        dd = np.take_along_axis(den[s:e, None, :], idx, axis=2).sum(axis=2)
        out[s:e] = np.var(nn / np.where(dd > 0, dd, 1.0), axis=1, ddof=1)
    return out


def _t_quantile(n_tasks: np.ndarray | int, conf: float, sided: int = 2) -> np.ndarray:
    df = np.maximum(np.asarray(n_tasks, dtype=float) - 1, 1)
    return st.t.ppf(1 - (1 - conf) / sided, df)


def wilson_z(p: np.ndarray, n: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a rate ``p`` on a (possibly fractional) ``n`` with quantile ``z``.

    Endpoints are exact at the boundary: 0 when p = 0, 1 when p = 1 (the other end stays open).
    """
    p, n, z = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (p, n, z)))
    nn = np.where(n > 0, n, 1.0)
    z2 = z * z
    denom = 1 + z2 / nn
    centre = (p + z2 / (2 * nn)) / denom
    half = z * np.sqrt(np.maximum(p * (1 - p), 0) / nn + z2 / (4 * nn * nn)) / denom
    lo = np.where((n > 0) & (p > 0), np.clip(centre - half, 0, 1), 0.0)
    hi = np.where((n > 0) & (p < 1), np.clip(centre + half, 0, 1), 1.0)
    return lo, hi


@dataclass(frozen=True)
class Clustered:
    """Estimates with their interval, per replicate; ``n_eff`` = effective independent observations."""

    estimate: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    n_eff: np.ndarray
    n_tasks: int

    def scalar(self) -> dict[str, float]:
        """The first replicate as plain floats (the library's single-group use)."""
        return {
            "estimate": float(self.estimate[0]),
            "lo": float(self.lo[0]),
            "hi": float(self.hi[0]),
            "n_eff": float(self.n_eff[0]),
            "n_tasks": self.n_tasks,
        }


def _n_eff(var_boot: np.ndarray, var_iid: np.ndarray, n_rows: np.ndarray, t: int) -> np.ndarray:
    """Rows / design effect, within [tasks, rows]; tasks when the bootstrap shows no variation at all."""
    v = var_boot * t / max(t - 1, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        n = np.where((v > 0) & (var_iid > 0), var_iid * n_rows / v, float(t))
    # Seeds nested in a task are never negatively correlated here, so the design effect is at most the
    # seeds per task and n_eff at least the task count; with one seed per task n_eff is exactly the count
    # (the bootstrap's noise would otherwise move an exact-count interval).
    return np.clip(n, float(t), np.maximum(n_rows, float(t)))


def rate_intervals(
    k: np.ndarray,
    m: np.ndarray,
    conf: float = 0.95,
    n_resamples: int = DEFAULT_RESAMPLES,
    rng: np.random.Generator | None = None,
) -> Clustered:
    """Pooled pass rate Σk/Σm with the task-clustered Wilson interval; ``k``, ``m`` per task, (R, T) or (T,).

    ``k`` = passes of a task over its seeds, ``m`` = its graded rows.
    """
    k, m = _as2d(k), _as2d(m)
    t = k.shape[1]
    rng = rng if rng is not None else np.random.default_rng(0)
    n_rows = m.sum(axis=1)
    p = k.sum(axis=1) / np.where(n_rows > 0, n_rows, 1)
    if t < 2:
        return Clustered(p, np.zeros_like(p), np.ones_like(p), np.minimum(n_rows, 1.0), t)
    var_boot = boot_ratio_var(k, m, n_resamples, rng)
    var_iid = p * (1 - p) / np.where(n_rows > 0, n_rows, 1)
    n_eff = _n_eff(var_boot, var_iid, n_rows, t)
    lo, hi = wilson_z(p, n_eff, _t_quantile(t, conf))
    # Near 0 and 1 Wilson dips well below nominal (9 tasks, 1 seed: 0.87 at p = 0.985, where 8/9 gives an
    # upper end of 0.984); never narrower than Clopper-Pearson on the effective counts closes that dip.
    cp_lo, cp_hi = clopper_pearson(p * n_eff, n_eff, conf)
    return Clustered(p, np.minimum(lo, cp_lo), np.maximum(hi, cp_hi), n_eff, t)


def clopper_pearson(k: np.ndarray, n: np.ndarray, conf: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Clopper-Pearson (beta quantile) interval for ``k`` of ``n``; both may be fractional (effective)."""
    k, n = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (k, n)))
    a = (1 - conf) / 2
    fail = n - k
    with np.errstate(invalid="ignore"):
        lo = np.where(k > 1e-9, st.beta.ppf(a, np.maximum(k, 1e-9), fail + 1), 0.0)
        hi = np.where(fail > 1e-9, st.beta.ppf(1 - a, k + 1, np.maximum(fail, 1e-9)), 1.0)
    return np.nan_to_num(lo, nan=0.0), np.nan_to_num(hi, nan=1.0)


def diff_intervals(
    a: np.ndarray,
    b: np.ndarray,
    n10: np.ndarray,
    n01: np.ndarray,
    m: np.ndarray,
    conf: float = 0.95,
    n_resamples: int = DEFAULT_RESAMPLES,
    rng: np.random.Generator | None = None,
    sided: int = 2,
) -> Clustered:
    """Paired difference of pass rates A − B on shared (task, seed) pairs, per task arrays (R, T) or (T,).

    ``a``/``b`` = passes of each arm in a task's pairs, ``n10`` = pairs only A passed, ``n01`` = only B,
    ``m`` = the task's pairs. ``sided=1`` gives a one-sided bound at ``conf`` on each end (use ``lo``).
    """
    a, b, n10, n01, m = (_as2d(x) for x in (a, b, n10, n01, m))
    t = a.shape[1]
    rng = rng if rng is not None else np.random.default_rng(0)
    n = m.sum(axis=1)
    safe_n = np.where(n > 0, n, 1)
    p1, p2 = a.sum(axis=1) / safe_n, b.sum(axis=1) / safe_n
    delta = p1 - p2
    if t < 2:
        return Clustered(delta, -np.ones_like(delta), np.ones_like(delta), np.minimum(n, 1.0), t)
    var_boot = boot_ratio_var(a - b, m, n_resamples, rng)
    disc = (n10.sum(axis=1) + n01.sum(axis=1)) / safe_n
    var_iid = np.maximum(disc - delta**2, 0) / safe_n
    n_eff = _n_eff(var_boot, var_iid, n, t)
    scale = n_eff / safe_n  # effective counts: the design effect shrinks every count alike
    z = float(st.norm.ppf(1 - (1 - conf) / sided))
    lo, hi = tango_bounds(n10.sum(axis=1) * scale, n01.sum(axis=1) * scale, n * scale, z, cc=CONTINUITY)
    return Clustered(delta, np.clip(lo, -1, 1), np.clip(hi, -1, 1), n_eff, t)


def _tango_parts(b: np.ndarray, c: np.ndarray, n: np.ndarray, d0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Numerator b − c − n·d0 of Tango's statistic and its standard deviation under H0: p10 − p01 = d0."""
    w = -b - c + (2 * n - b + c) * d0
    p01 = (np.sqrt(np.maximum(w * w + 8 * n * c * d0 * (1 - d0), 0)) - w) / (4 * np.where(n > 0, n, 1))
    var = n * (2 * p01 + d0 * (1 - d0))
    return b - c - n * d0, np.sqrt(np.maximum(var, 1e-300))


def tango_z(b: np.ndarray, c: np.ndarray, n: np.ndarray, d0: np.ndarray) -> np.ndarray:
    """Tango's (1998) score statistic for H0: p10 − p01 = d0 on n pairs, b = A-only, c = B-only.

    The variance uses the maximum-likelihood p01 under H0 (root of 2n·p² + W·p − c·d0·(1 − d0) = 0), so
    the statistic stays finite with no discordant pair — unlike a Wald statistic, whose variance is 0 there.
    """
    num, sd = _tango_parts(b, c, n, d0)
    return num / sd


def tango_bounds(
    b: np.ndarray, c: np.ndarray, n: np.ndarray, z: np.ndarray | float, iters: int = 60, cc: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Score interval for p10 − p01: the d0 where Tango's statistic equals ±z (bisection; it decreases
    in d0). Counts may be fractional (effective counts). ``cc`` moves the numerator ``cc`` pairs towards 0
    on each side (a continuity correction: the counts move in whole pairs, the normal curve does not)."""
    b, c, n = (np.asarray(x, dtype=float) for x in (b, c, n))
    z = np.broadcast_to(np.asarray(z, dtype=float), b.shape)
    est = (b - c) / np.where(n > 0, n, 1)
    out = []
    for target, shift, lo0, hi0 in ((z, -cc, -1.0, est), (-z, cc, est, 1.0)):
        lo = np.broadcast_to(np.asarray(lo0, dtype=float), b.shape).copy()
        hi = np.broadcast_to(np.asarray(hi0, dtype=float), b.shape).copy()
        for _ in range(iters):
            mid = (lo + hi) / 2
            num, sd = _tango_parts(b, c, n, mid)
            above = (num + shift) / sd > target  # still above the target: the root is further right
            lo = np.where(above, mid, lo)
            hi = np.where(above, hi, mid)
        out.append((lo + hi) / 2)
    return out[0], out[1]
