"""Strategy vs strategy, paired on (task, seed) within each agent (and pooled over agents).

Pairing removes task difficulty from the comparison: both strategies ran the same task with the same
seed, so only discordant pairs carry information. The interval is ``clustered.diff_intervals`` (a score
interval on the effective number of pairs, the design effect measured by a bootstrap over tasks), so seeds
of one task are not counted as independent evidence and a comparison with no discordant pair is not a point.
Significant = that interval excludes 0; the exact McNemar p is shown beside it for reference.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from pytest_hybrid_eval.bootstrap import group_rng, paired_table
from pytest_hybrid_eval.clustered import diff_intervals
from pytest_hybrid_eval.stats import mcnemar_exact

ALL_AGENTS = "(all agents)"


def pair_on(df: pd.DataFrame, pooled: bool = False) -> tuple[str, ...]:
    """The pair key: (task, seed), with the agent when pooled and the sweep when several were merged —
    two sweeps may reuse (task, seed), and a pair is only ever formed inside one sweep."""
    within = ("sweep",) if df["sweep"].nunique() > 1 else ()
    return (*(("agent",) if pooled else ()), "task_id", "seed", *within)


def pair_arrays(wide: pd.DataFrame, a: str, b: str) -> dict[str, np.ndarray] | None:
    """Per task (the cluster): passes of each arm on the pairs both ran, discordant counts and pair counts."""
    if a not in wide.columns or b not in wide.columns:
        return None
    both = wide[[a, b, "_cluster"]].dropna()
    if both.empty:
        return None
    xa, xb = both[a].to_numpy(dtype=float), both[b].to_numpy(dtype=float)
    codes = pd.factorize(both["_cluster"], sort=True)[0]
    t = int(codes.max()) + 1

    def per_task(v: np.ndarray) -> np.ndarray:
        return np.bincount(codes, weights=v, minlength=t)

    return {
        "a": per_task(xa),
        "b": per_task(xb),
        "n10": per_task(((xa == 1) & (xb == 0)).astype(float)),
        "n01": per_task(((xa == 0) & (xb == 1)).astype(float)),
        "m": per_task(np.ones_like(xa)),
    }


def paired_diff(
    arrs: dict[str, np.ndarray], key: tuple[Any, ...], conf: float, n_resamples: int, sided: int = 2
) -> dict[str, Any]:
    """The task-clustered interval of A − B (``clustered.diff_intervals``) as a plain dict."""
    res = diff_intervals(
        arrs["a"], arrs["b"], arrs["n10"], arrs["n01"], arrs["m"], conf=conf, n_resamples=n_resamples,
        rng=group_rng(key), sided=sided,
    )
    return res.scalar()


def compare_strategies(
    df: pd.DataFrame,
    group_keys: Sequence[str] = ("agent",),
    n_resamples: int = 2_000,
    conf: float = 0.95,
    pooled: bool = True,
) -> list[dict[str, Any]]:
    """All strategy pairs within each group (default: per agent), plus pooled over agents.

    Only graded rows enter (error rows are graded failures); a pair is used only if both strategies have
    it. Each comparison is also computed without infrastructure-error rows (``excl_infra``), so a reader
    can see whether the harness, not the strategy, moved it.
    """
    graded = df[df["graded"]].assign(_pass=lambda d: d["passed"].astype(float))
    out: list[dict[str, Any]] = []
    keys = list(group_keys)
    for gkey, g in graded.groupby(keys, sort=True, dropna=False):
        gk = gkey if isinstance(gkey, tuple) else (gkey,)
        out.extend(_pairs(g, dict(zip(keys, gk, strict=True)), pair_on(graded), n_resamples, conf))
    if pooled and graded["agent"].nunique() > 1:
        extra = [k for k in keys if k != "agent"]
        groups = graded.groupby(extra, sort=True, dropna=False) if extra else [((), graded)]
        for gkey, g in groups:
            gk = gkey if isinstance(gkey, tuple) else (gkey,)
            label = {"agent": ALL_AGENTS, **dict(zip(extra, gk, strict=True))}
            out.extend(_pairs(g, label, pair_on(graded, pooled=True), n_resamples, conf))
    return out


def _pairs(
    g: pd.DataFrame, label: dict[str, Any], on: tuple[str, ...], n_resamples: int, conf: float
) -> list[dict[str, Any]]:
    wide = paired_table(g, "strategy", "_pass", on)
    clean = g[~g["infra_error"]]
    wide_ok = paired_table(clean, "strategy", "_pass", on) if len(clean) else None
    res = []
    for a, b in combinations(sorted(g["strategy"].unique()), 2):
        arrs = pair_arrays(wide, a, b)
        if arrs is None:
            continue  # no shared pairs: nothing to compare, and nothing is claimed
        entry = _entry(arrs, a, b, ("paired", *label.values(), a, b), n_resamples, conf)
        ok = pair_arrays(wide_ok, a, b) if wide_ok is not None else None
        entry["excl_infra"] = (
            None if ok is None else _entry(ok, a, b, ("paired-ok", *label.values(), a, b), n_resamples, conf)
        )
        res.append({**label, **entry})
    return res


def _entry(
    arrs: dict[str, np.ndarray], a: str, b: str, key: tuple[Any, ...], n_resamples: int, conf: float
) -> dict[str, Any]:
    n = float(arrs["m"].sum())
    diff = paired_diff(arrs, key, conf, n_resamples)
    a_only, b_only = int(arrs["n10"].sum()), int(arrs["n01"].sum())
    return {
        "a": a,
        "b": b,
        "n_pairs": int(n),
        "n_tasks": int(len(arrs["m"])),
        "rate_a": float(arrs["a"].sum() / n),
        "rate_b": float(arrs["b"].sum() / n),
        "diff": diff,
        "a_only": a_only,
        "b_only": b_only,
        "mcnemar_p": mcnemar_exact(a_only, b_only),
        "significant": bool(diff["lo"] > 0 or diff["hi"] < 0),
    }


def find(comparisons: list[dict[str, Any]], label: dict[str, Any], x: str, y: str) -> dict[str, Any] | None:
    """The comparison of x vs y under ``label``, oriented as x − y (sign flipped if stored as y − x)."""
    for c in comparisons:
        if any(c.get(k) != v for k, v in label.items()):
            continue
        if (c["a"], c["b"]) == (x, y):
            return c
        if (c["a"], c["b"]) == (y, x):
            d = c["diff"]
            return {
                **c,
                "a": x,
                "b": y,
                "rate_a": c["rate_b"],
                "rate_b": c["rate_a"],
                "a_only": c["b_only"],
                "b_only": c["a_only"],
                "diff": {**d, "estimate": -d["estimate"], "lo": -d["hi"], "hi": -d["lo"]},
                "excl_infra": None,
            }
    return None


def comparisons_markdown(
    comparisons: list[dict[str, Any]], label_keys: Sequence[str], backend_note: str
) -> str:
    lines = [
        f"# Paired strategy comparisons {backend_note}",
        "",
        "Difference = pass rate of A − pass rate of B on the (task, seed) pairs both ran; interval = 95% "
        "task-clustered score interval (Tango, on the effective number of pairs from a bootstrap over "
        "tasks with seeds nested); McNemar = exact test on discordant pairs (A-only / B-only), for "
        "reference. Significant = interval excludes 0, not adjusted for the number of comparisons (the "
        "recommendation is: see the decision matrix). 'excl. infra' = the same without infrastructure-"
        "error rows.",
        "",
        f"| {' | '.join(label_keys)} | A | B | pairs | A rate | B rate | A − B [95% CI] | A-only | B-only "
        "| McNemar p | significant | excl. infra: A − B [95% CI] |",
        "|" + "---|" * (len(label_keys) + 11),
    ]
    for c in comparisons:
        d = c["diff"]
        lines.append(
            f"| {' | '.join(str(c.get(k, '')) for k in label_keys)} | {c['a']} | {c['b']} | {c['n_pairs']} "
            f"| {c['rate_a']:.3f} | {c['rate_b']:.3f} | {d['estimate']:+.3f} [{d['lo']:+.3f}, {d['hi']:+.3f}] "
            f"| {c['a_only']} | {c['b_only']} | {c['mcnemar_p']:.4g} | {'yes' if c['significant'] else 'no'} "
            f"| {_fmt_ok(c.get('excl_infra'))} |"
        )
    return "\n".join(lines) + "\n"


def _fmt_ok(c: dict[str, Any] | None) -> str:
    if c is None:
        return "—"
    d = c["diff"]
    return f"{d['estimate']:+.3f} [{d['lo']:+.3f}, {d['hi']:+.3f}]"
