"""Bootstrap intervals pooled over tasks, one independent generator per group.

Pass rate: tasks resampled with replacement, seeds resampled within each drawn task (two-stage; exact and
fast for 0/1 outcomes, see ``stats._resample_means``). Cost per cell and cloud token share: tasks
resampled, each with all its seeds — resampling only at the top level already carries the between-seed
variation inside each drawn task, and it keeps continuous statistics at O(resamples × tasks).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from pytest_hybrid_eval.bootstrap import cluster_bootstrap, group_rng, task_draws


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
            r = cluster_bootstrap(
                graded,
                stat="_pass",
                n_resamples=n_resamples,
                rng=group_rng(("pass", *gk)),
                conf=conf,
            )
            entry["pass_rate"] = r.as_dict()
        r = cluster_bootstrap(
            g, nested=None, stat="cost", n_resamples=n_resamples, rng=group_rng(("cost", *gk)), conf=conf
        )
        entry["cost_per_cell"] = r.as_dict()
        entry["cloud_share"] = _share_interval(g, n_resamples, ("share", *gk), conf)
        out.append(entry)
    return out


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
