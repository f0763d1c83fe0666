"""Bootstrap intervals pooled over tasks, one independent generator per group.

Pass rate: ``clustered.rate_intervals`` — the bootstrap over tasks measures the design effect and a
Wilson interval on the effective n (t quantile), never narrower than Clopper-Pearson on the effective
counts, keeps coverage with few tasks, near 0 and 1, and at 0/n and n/n; the
terminal summary prints the same interval. Cost per cell and cloud token share: tasks
resampled, each with all its seeds — resampling only at the top level already carries the between-seed
variation inside each drawn task, and it keeps continuous statistics at O(resamples × tasks).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from pytest_hybrid_eval.bootstrap import cluster_bootstrap, group_rng, task_draws
from pytest_hybrid_eval.clustered import rate_intervals

#: The pass-rate interval's label in intervals.json: Wilson (t quantile) on the clustered effective n,
#: floored by Clopper-Pearson on the effective counts (``clustered.rate_intervals``).
METHOD = "clustered-wilson-t-cp-floor"


def group_intervals(
    df: pd.DataFrame, keys: Sequence[str], n_resamples: int = 10_000, conf: float = 0.95
) -> list[dict[str, Any]]:
    """Per group: pooled pass rate, cost per cell and cloud share, each with a cluster-bootstrap interval."""
    out: list[dict[str, Any]] = []
    work = df.assign(_pass=(df["passed"] & df["graded"]).astype(float))
    tok_all = (
        work["local_prompt"] + work["local_completion"] + work["cloud_prompt"] + work["cloud_completion"]
    )
    work["_cloud_tok"] = (work["cloud_prompt"] + work["cloud_completion"]).astype(float)
    work["_all_tok"] = tok_all.astype(float)
    for gkey, g in work.groupby(list(keys), sort=True, dropna=False):
        gk = gkey if isinstance(gkey, tuple) else (gkey,)
        entry: dict[str, Any] = dict(zip(keys, gk, strict=True))
        graded = g[g["graded"]]
        if not graded.empty:
            entry["pass_rate"] = pass_rate_interval(graded, ("pass", *gk), n_resamples, conf)
        r = cluster_bootstrap(
            g, nested=None, stat="cost", n_resamples=n_resamples, rng=group_rng(("cost", *gk)), conf=conf
        )
        entry["cost_per_cell"] = r.as_dict()
        entry["cloud_share"] = _share_interval(g, n_resamples, ("share", *gk), conf)
        out.append(entry)
    return out


def pass_rate_interval(
    graded: pd.DataFrame, key: tuple[Any, ...], n_resamples: int = 2_000, conf: float = 0.95
) -> dict[str, Any]:
    """The task-clustered pass-rate interval of graded rows (``_pass`` 0/1) as a plain dict."""
    per_task = graded.groupby("task_id", sort=True)["_pass"].agg(["sum", "size"])
    res = rate_intervals(
        per_task["sum"].to_numpy(), per_task["size"].to_numpy(), conf, n_resamples, group_rng(key)
    )
    return {**res.scalar(), "n_rows": len(graded), "method": METHOD}


def _share_interval(g: pd.DataFrame, n_resamples: int, key: tuple[Any, ...], conf: float) -> dict[str, Any]:
    """Token-weighted cloud share (a ratio of sums), bootstrapped over tasks."""
    per_task = g.groupby("task_id", sort=True)[["_cloud_tok", "_all_tok"]].sum()
    cloud = per_task["_cloud_tok"].to_numpy()
    total = per_task["_all_tok"].to_numpy()
    est = float(cloud.sum() / total.sum()) if total.sum() > 0 else 0.0
    rng = group_rng(key)
    t = len(per_task)
    idx = task_draws(t, n_resamples, rng)
    den = total.astype(float)[idx].sum(axis=1)
    draws = np.where(den > 0, cloud.astype(float)[idx].sum(axis=1) / np.where(den > 0, den, 1), 0.0)
    a = (1 - conf) / 2
    lo, hi = np.quantile(draws, [a, 1 - a])
    return {"estimate": est, "lo": float(lo), "hi": float(hi), "n_clusters": t, "n_resamples": n_resamples}
