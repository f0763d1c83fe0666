"""Cluster bootstrap over tasks with seeds nested, and the paired strategy comparison built on it.

Split from ``stats`` (closed-form small-sample statistics) so each module has one job. Pooled figures
resample tasks (the clusters) and seeds within them; strategy comparisons are paired on (task, seed).
Each group draws from its own generator seeded by a stable hash of its key, so adding a group never
moves another group's interval.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Hashable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as _st

from pytest_hybrid_eval.stats import mcnemar_exact

# --------------------------------------------------------------------------- per-group generators


def _key_text(key: Hashable) -> str:
    parts = key if isinstance(key, tuple) else (key,)
    return "\x1f".join(str(p) for p in parts)


def group_rng(key: Hashable, base_seed: int = 8_2024) -> np.random.Generator:
    """A generator that depends only on ``key`` (and the base seed), never on which other groups exist.

    hybrid-coding-eval drew every cell from one shared generator, so adding a cell moved all the others'
    intervals; hashing the key (SHA-256, not Python's salted ``hash``) keeps each group reproducible alone.
    """
    digest = hashlib.sha256(_key_text(key).encode("utf-8")).digest()
    return np.random.default_rng([base_seed, int.from_bytes(digest[:8], "little")])


# --------------------------------------------------------------------------- bootstrap


@dataclass(frozen=True)
class BootResult:
    """A bootstrap estimate with its percentile interval; ``n_clusters`` = tasks actually resampled."""

    estimate: float
    lo: float
    hi: float
    se: float
    n_clusters: int
    n_units: int
    n_resamples: int

    def as_dict(self) -> dict[str, float | int]:
        return {
            "estimate": self.estimate,
            "lo": self.lo,
            "hi": self.hi,
            "se": self.se,
            "n_clusters": self.n_clusters,
            "n_units": self.n_units,
            "n_resamples": self.n_resamples,
        }


_MAX_LEVELS = 12
_CHUNK_CELLS = 4_000_000
# Above this many (resample × varying-task) binomial draws, the within-task stage is moment-matched.
EXACT_DRAW_BUDGET = 400_000


@dataclass(frozen=True)
class _Units:
    """Nested units (a task's seeds) as flat arrays, ordered by cluster."""

    sums: np.ndarray  # value sum per unit
    counts: np.ndarray  # row count per unit
    cluster: np.ndarray  # cluster code per unit, 0..T-1, non-decreasing
    sizes: np.ndarray  # units per cluster


def _units(values: np.ndarray, clusters: np.ndarray, nested: np.ndarray | None) -> _Units:
    c_codes = pd.factorize(clusters, sort=True)[0].astype(np.int64)
    if nested is None:
        n_codes = np.zeros(len(values), dtype=np.int64)
    else:
        n_codes = pd.factorize(nested, sort=True)[0].astype(np.int64)
    width = int(n_codes.max()) + 1
    uniq, inv = np.unique(c_codes * width + n_codes, return_inverse=True)
    ucl = uniq // width
    return _Units(
        sums=np.bincount(inv, weights=values),
        counts=np.bincount(inv).astype(float),
        cluster=ucl,
        sizes=np.bincount(ucl),
    )


def task_draws(t: int, b: int, rng: np.random.Generator) -> np.ndarray:
    """(b, t) task indices: each resample draws t tasks with replacement (narrow ints: cheaper to draw)."""
    return rng.integers(0, t, size=(b, t), dtype=np.int16 if t < 2**15 else np.int32)


def task_multiplicities(t: int, b: int, rng: np.random.Generator) -> np.ndarray:
    """(b, t) matrix: how often each task is drawn in each resample (t draws with replacement)."""
    return _counts(task_draws(t, b, rng), t)


def _counts(idx: np.ndarray, t: int) -> np.ndarray:
    b = idx.shape[0]
    flat = idx.astype(np.int64) + (np.arange(b, dtype=np.int64) * t)[:, None]
    return np.bincount(flat.ravel(), minlength=b * t).reshape(b, t)


def _resample_means(u: _Units, n_resamples: int, rng: np.random.Generator, nested: bool) -> np.ndarray:
    """Two-stage resampled means: tasks with replacement, then units within each drawn task.

    A task drawn m times contributes m independent second-stage resamples of its S units. When every unit
    has the same row count and the unit values take few levels (pass/fail, a paired difference in
    {−1, 0, 1}), the second stage is drawn exactly as a multinomial over levels — a chain of binomials with
    n = m·S, skipped where a task's outcome is constant — so the cost is O(resamples × tasks) instead of
    O(resamples × rows). Otherwise unit indices are drawn explicitly. With many tasks whose seeds
    disagree (more than ``EXACT_DRAW_BUDGET`` draws) the within-task stage is moment-matched instead
    (``_moment_second_stage``); the task stage is always exact. Resamples are processed in chunks that
    bound memory.
    """
    t = len(u.sizes)
    two_stage = nested and int(u.sizes.max()) > 1
    out = np.empty(n_resamples)
    unit_means = u.sums / u.counts
    levels, lev_idx = np.unique(unit_means, return_inverse=True)
    equal_counts = bool(np.all(u.counts == u.counts[0]))
    discrete = equal_counts and len(levels) <= _MAX_LEVELS
    n_varying = int(np.count_nonzero(_within_var(u, unit_means) > 0)) if two_stage else 0
    moment = two_stage and equal_counts and n_resamples * n_varying > EXACT_DRAW_BUDGET
    explicit = two_stage and not moment and not discrete  # only this path allocates (b, t, smax)
    step = max(1, _CHUNK_CELLS // max(1, t * (int(u.sizes.max()) if explicit else 1)))
    for start in range(0, n_resamples, step):
        b = min(step, n_resamples - start)
        idx = task_draws(t, b, rng)
        if not two_stage:  # gathers over drawn tasks: cheaper than building the multiplicity matrix
            tot_s = np.bincount(u.cluster, weights=u.sums, minlength=t)
            tot_c = np.bincount(u.cluster, weights=u.counts, minlength=t)
            out[start : start + b] = tot_s[idx].sum(axis=1) / tot_c[idx].sum(axis=1)
        elif moment:
            out[start : start + b] = _moment_second_stage(u, unit_means, idx, rng)
        elif discrete:
            out[start : start + b] = _level_chain(u, levels, lev_idx, _counts(idx, t), rng)
        else:
            out[start : start + b] = _explicit_second_stage(u, _counts(idx, t), rng)
    return out


def _within_var(u: _Units, unit_means: np.ndarray) -> np.ndarray:
    """Per task: the variance of its unit means (0 for a task whose seeds all agree)."""
    t = len(u.sizes)
    mean = np.bincount(u.cluster, weights=unit_means, minlength=t) / u.sizes
    sq = np.bincount(u.cluster, weights=unit_means**2, minlength=t) / u.sizes
    return np.maximum(sq - mean**2, 0.0)


def _moment_second_stage(
    u: _Units, unit_means: np.ndarray, idx: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Within-task stage for many tasks: given the drawn tasks, the resampled total is a sum of
    independent per-task terms (S draws each), so by the CLT over tasks it is normal with mean
    Σ S·μ_t and variance Σ S·σ²_t over the drawn tasks. Used only above ``EXACT_DRAW_BUDGET``, i.e. with
    many tasks whose seeds disagree, where the exact binomial chain would dominate the run time."""
    t = len(u.sizes)
    size = u.sizes.astype(float)
    mu = np.bincount(u.cluster, weights=unit_means, minlength=t) / size
    var = _within_var(u, unit_means)
    mean = (size * mu)[idx].sum(axis=1)
    sd = np.sqrt((size * var)[idx].sum(axis=1))
    return (mean + sd * rng.standard_normal(idx.shape[0])) / size[idx].sum(axis=1)


def _level_chain(
    u: _Units, levels: np.ndarray, lev_idx: np.ndarray, mult: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    t, n_lev = len(u.sizes), len(levels)
    probs = np.bincount(u.cluster * n_lev + lev_idx, minlength=t * n_lev).reshape(t, n_lev) / u.sizes[:, None]
    remaining = mult * u.sizes[None, :]  # draws still to place, per (resample, task)
    left_p = np.ones(t)
    num = np.zeros(mult.shape[0])
    for li in range(n_lev - 1):
        p = np.clip(probs[:, li] / np.where(left_p > 1e-12, left_p, 1.0), 0.0, 1.0)
        draw = np.zeros_like(remaining)
        sure = p >= 1 - 1e-12
        draw[:, sure] = remaining[:, sure]
        mid = (p > 1e-12) & ~sure
        if mid.any():
            draw[:, mid] = rng.binomial(remaining[:, mid], p[mid][None, :])
        num += levels[li] * draw.sum(axis=1)
        remaining -= draw
        left_p = left_p - probs[:, li]
    num += levels[-1] * remaining.sum(axis=1)
    return num / (mult @ u.sizes)


def _explicit_second_stage(u: _Units, mult: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    b, t = mult.shape
    sizes = u.sizes
    smax = int(sizes.max())
    starts = np.cumsum(sizes) - sizes
    pos = np.arange(len(u.sums)) - starts[u.cluster]
    pad_s = np.zeros((t, smax))
    pad_c = np.zeros((t, smax))
    pad_s[u.cluster, pos] = u.sums
    pad_c[u.cluster, pos] = u.counts
    drawn = np.repeat(np.tile(np.arange(t), b), mult.ravel())  # task ids, grouped by resample
    owner = np.repeat(np.repeat(np.arange(b), t), mult.ravel())
    j = (rng.random((len(drawn), smax)) * sizes[drawn][:, None]).astype(np.int64)
    mask = np.arange(smax)[None, :] < sizes[drawn][:, None]
    num = np.where(mask, pad_s[drawn[:, None], j], 0.0).sum(axis=1)
    den = np.where(mask, pad_c[drawn[:, None], j], 0.0).sum(axis=1)
    return np.bincount(owner, num, b) / np.bincount(owner, den, b)


def _summarise(draws: np.ndarray, estimate: float, conf: float, n_clusters: int, n_units: int) -> BootResult:
    alpha = 1 - conf
    lo, hi = np.quantile(draws, [alpha / 2, 1 - alpha / 2])
    return BootResult(
        estimate=float(estimate),
        lo=float(lo),
        hi=float(hi),
        se=float(np.std(draws, ddof=1)) if len(draws) > 1 else 0.0,
        n_clusters=n_clusters,
        n_units=n_units,
        n_resamples=len(draws),
    )


def cluster_bootstrap(
    df: pd.DataFrame,
    cluster: str = "task_id",
    nested: str | None = "seed",
    stat: str | Callable[[pd.DataFrame], float] = "passed",
    n_resamples: int = 10_000,
    rng: np.random.Generator | None = None,
    conf: float = 0.95,
    key: Hashable = "",
) -> BootResult:
    """Percentile interval of a pooled statistic, resampling tasks with replacement, then seeds within each.

    ``stat`` is a column name (its row mean, computed vectorised) or a function of a resampled frame (a
    slow per-resample loop, for statistics that are not a mean). Without ``rng`` the generator comes from
    ``group_rng(key)``. Tasks are the unit of generalisation; treating rows as independent would pretend
    that three seeds of one task are three tasks.
    """
    if df.empty:
        raise ValueError("cluster_bootstrap needs at least one row")
    rng = rng if rng is not None else group_rng(key)
    clusters = df[cluster].to_numpy()
    nest = None if nested is None else df[nested].to_numpy()
    n_clusters = int(pd.Series(clusters).nunique())
    n_units = int(df.groupby([cluster] + ([nested] if nested else []), dropna=False).ngroups)
    if isinstance(stat, str):
        values = df[stat].to_numpy(dtype=float)
        draws = _resample_means(_units(values, clusters, nest), n_resamples, rng, nested is not None)
        return _summarise(draws, float(values.mean()), conf, n_clusters, n_units)
    return _callable_bootstrap(df, cluster, nested, stat, n_resamples, rng, conf, n_clusters, n_units)


def _callable_bootstrap(
    df: pd.DataFrame,
    cluster: str,
    nested: str | None,
    stat: Callable[[pd.DataFrame], float],
    n_resamples: int,
    rng: np.random.Generator,
    conf: float,
    n_clusters: int,
    n_units: int,
) -> BootResult:
    nest = None if nested is None else df[nested].to_numpy()
    units: list[list[np.ndarray]] = []  # per task: row positions of each nested unit
    for idx in df.groupby(cluster, sort=True).indices.values():
        if nest is None:
            units.append([idx])
        else:
            units.append([idx[nest[idx] == u] for u in pd.unique(nest[idx])])
    draws = np.empty(n_resamples)
    for b in range(n_resamples):
        parts: list[np.ndarray] = []
        for t in rng.integers(0, len(units), len(units)):
            us = units[t]
            parts.extend(us[j] for j in rng.integers(0, len(us), len(us)))
        draws[b] = stat(df.iloc[np.concatenate(parts)])
    return _summarise(draws, stat(df), conf, n_clusters, n_units)


def naive_bootstrap(
    values: np.ndarray, n_resamples: int = 10_000, rng: np.random.Generator | None = None, conf: float = 0.95
) -> BootResult:
    """Row-level bootstrap of a mean, treating rows as independent (kept for contrast with the cluster one)."""
    v = np.asarray(values, dtype=float)
    rng = rng if rng is not None else group_rng("naive")
    counts = task_multiplicities(len(v), n_resamples, rng)
    return _summarise(counts @ v / len(v), float(v.mean()), conf, len(v), len(v))


@dataclass(frozen=True)
class PairedResult:
    """Strategy A minus strategy B on shared (task, seed) pairs."""

    a: str
    b: str
    n_pairs: int
    rate_a: float
    rate_b: float
    diff: BootResult
    a_only: int  # pairs where A passed and B failed (McNemar's b)
    b_only: int  # pairs where B passed and A failed (McNemar's c)
    mcnemar_p: float
    p_boot: float

    def as_dict(self) -> dict[str, object]:
        return {
            "a": self.a,
            "b": self.b,
            "n_pairs": self.n_pairs,
            "rate_a": self.rate_a,
            "rate_b": self.rate_b,
            "diff": self.diff.as_dict(),
            "a_only": self.a_only,
            "b_only": self.b_only,
            "mcnemar_p": self.mcnemar_p,
            "p_boot": self.p_boot,
        }


def paired_bootstrap(
    df: pd.DataFrame,
    a: str,
    b: str,
    by: str = "strategy",
    value: str = "passed",
    pair_on: tuple[str, ...] = ("task_id", "seed"),
    cluster: str = "task_id",
    n_resamples: int = 10_000,
    rng: np.random.Generator | None = None,
    conf: float = 0.95,
) -> PairedResult:
    """Paired comparison of ``a`` vs ``b`` (values of column ``by``) on the pairs both ran.

    The difference of pass rates is bootstrapped over tasks with the remaining pair keys nested inside,
    and the exact McNemar test is run on the discordant pairs. Pairs only one side ran are left out, so a
    strategy that crashed on hard tasks is not compared on easier ones only (its error rows are failures).
    """
    wide = paired_table(df[df[by].isin([a, b])], by, value, pair_on, cluster)
    return paired_from_wide(wide, a, b, n_resamples, rng, conf)


def paired_table(
    df: pd.DataFrame, by: str, value: str, pair_on: tuple[str, ...], cluster: str = "task_id"
) -> pd.DataFrame:
    """One row per pair key, one column per value of ``by``, plus ``_cluster`` and ``_unit`` codes.

    Built once per group so that all strategy pairs of an agent reuse it.
    """
    if cluster not in pair_on:
        raise ValueError("cluster must be one of the pair keys")
    wide = df.groupby([*pair_on, by], sort=True)[value].mean().unstack(by)
    idx = wide.index.to_frame(index=False)
    inner = [c for c in pair_on if c != cluster]
    wide["_cluster"] = pd.factorize(idx[cluster], sort=True)[0]
    if inner:
        wide["_unit"] = idx.groupby(inner, sort=True).ngroup().to_numpy()
    else:
        wide["_unit"] = 0
    return wide


def paired_from_wide(
    wide: pd.DataFrame,
    a: str,
    b: str,
    n_resamples: int = 10_000,
    rng: np.random.Generator | None = None,
    conf: float = 0.95,
) -> PairedResult:
    """The paired comparison on a ``paired_table``."""
    if a not in wide.columns or b not in wide.columns:
        raise ValueError(f"no rows for {a!r} or {b!r}")
    both = wide[[a, b, "_cluster", "_unit"]].dropna()
    if both.empty:
        raise ValueError(f"{a!r} and {b!r} share no (task, seed) pairs")
    xa = both[a].to_numpy(dtype=float)
    xb = both[b].to_numpy(dtype=float)
    d = xa - xb
    rng = rng if rng is not None else group_rng(("paired", a, b))
    clusters = both["_cluster"].to_numpy()
    units = _units(d, clusters, both["_unit"].to_numpy())
    draws = _resample_means(units, n_resamples, rng, nested=True)
    res = _summarise(draws, float(d.mean()), conf, int(len(units.sizes)), int(len(units.sums)))
    a_only = int(((xa == 1) & (xb == 0)).sum())
    b_only = int(((xa == 0) & (xb == 1)).sum())
    # bootstrap p-value from the normal approximation of the resampled differences (reported, not decisive)
    z = res.estimate / res.se if res.se > 0 else (0.0 if res.estimate == 0 else math.inf)
    p_boot = float(2 * _st.norm.sf(abs(z))) if math.isfinite(z) else 0.0
    return PairedResult(
        a=a,
        b=b,
        n_pairs=len(both),
        rate_a=float(xa.mean()),
        rate_b=float(xb.mean()),
        diff=res,
        a_only=a_only,
        b_only=b_only,
        mcnemar_p=mcnemar_exact(a_only, b_only),
        p_boot=p_boot,
    )
