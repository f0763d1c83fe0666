"""Point estimates per group with closed-form intervals: pass rate (Wilson, Jeffreys), pass@k, cost.

Two pass rates are reported side by side and labelled: ``pass_rate`` counts every graded row, error rows
as failures (what a user would get), and ``pass_rate_excl_infra`` leaves out infra/backend/score errors
(what the agent and strategy could be blamed for). Neither drops a row silently.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import special
from scipy import stats as st

from pytest_hybrid_eval.stats import wilson_many


def jeffreys_many(k: np.ndarray, n: np.ndarray, conf: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised ``stats.jeffreys`` (0 at k = 0, 1 at k = n, (0, 1) without data)."""
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    a = (1 - conf) / 2
    with np.errstate(invalid="ignore"):
        lo = st.beta.ppf(a, k + 0.5, n - k + 0.5)
        hi = st.beta.ppf(1 - a, k + 0.5, n - k + 0.5)
    lo = np.where((k <= 0) | (n <= 0), 0.0, lo)
    hi = np.where((k >= n) | (n <= 0), 1.0, hi)
    return lo, hi


def _prepared(df: pd.DataFrame) -> pd.DataFrame:
    w = df.copy()
    w["_pass"] = (w["passed"] & w["graded"]).astype(int)
    w["_graded"] = w["graded"].astype(int)
    w["_graded_ok"] = (w["graded"] & ~w["infra_error"]).astype(int)
    w["_pass_ok"] = (w["passed"] & w["graded"] & ~w["infra_error"]).astype(int)
    w["_err"] = (w["error"] != "none").astype(int)
    w["_infra"] = w["infra_error"].astype(int)
    w["_cloud_tok"] = w["cloud_prompt"] + w["cloud_completion"]
    w["_all_tok"] = w["_cloud_tok"] + w["local_prompt"] + w["local_completion"]
    return w


def aggregate(df: pd.DataFrame, keys: Sequence[str], conf: float = 0.95) -> pd.DataFrame:
    """One row per group of ``keys`` with counts, both pass rates and their intervals, cost and tokens."""
    w = _prepared(df)
    cost_cols = [c for c in w.columns if c.startswith("cost__")]
    g = w.groupby(list(keys), sort=True, dropna=False)
    out = g.agg(
        rows=("task_id", "size"),
        graded=("_graded", "sum"),
        passed=("_pass", "sum"),
        graded_excl_infra=("_graded_ok", "sum"),
        passed_excl_infra=("_pass_ok", "sum"),
        errors=("_err", "sum"),
        infra_errors=("_infra", "sum"),
        n_tasks=("task_id", "nunique"),
        n_seeds=("seed", "nunique"),
        cost_mean=("cost", "mean"),
        cost_total=("cost", "sum"),
        cloud_tokens=("_cloud_tok", "sum"),
        all_tokens=("_all_tok", "sum"),
        wall_ms_median=("wall_ms", "median"),
        **{f"{c}_mean": (c, "mean") for c in cost_cols},
    )
    n, k = out["graded"].to_numpy(), out["passed"].to_numpy()
    out["pass_rate"] = np.where(n > 0, k / np.maximum(n, 1), np.nan)
    out["wilson_lo"], out["wilson_hi"] = wilson_many(k, n, conf)
    out["jeffreys_lo"], out["jeffreys_hi"] = jeffreys_many(k, n, conf)
    n2, k2 = out["graded_excl_infra"].to_numpy(), out["passed_excl_infra"].to_numpy()
    out["pass_rate_excl_infra"] = np.where(n2 > 0, k2 / np.maximum(n2, 1), np.nan)
    out["excl_infra_lo"], out["excl_infra_hi"] = wilson_many(k2, n2, conf)
    out["cloud_share"] = out["cloud_tokens"] / out["all_tokens"].where(out["all_tokens"] > 0, 1)
    out["cost_per_pass"] = np.where(k > 0, out["cost_total"] / np.maximum(k, 1), np.nan)
    return out.reset_index().merge(pass_at_k_table(df, keys), on=list(keys), how="left")


def pass_at_k_table(df: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """pass@k and pass^k across seeds: per task, then averaged over tasks, for k = 1 and k = the smallest
    number of graded seeds any task of the group has (so every task contributes the same k). Vectorised
    forms of ``stats.pass_at_k`` (Chen et al. unbiased estimator) and ``stats.pass_hat_k``."""
    keys = list(keys)
    w = _prepared(df)
    w = w[w["_graded"] == 1]
    per_task = (
        w.groupby(list(dict.fromkeys([*keys, "task_id"])), sort=True, dropna=False)
        .agg(n=("_pass", "size"), c=("_pass", "sum"))
        .reset_index()
    )
    n = per_task["n"].to_numpy(dtype=float)
    c = per_task["c"].to_numpy(dtype=float)
    k = per_task.groupby(keys, sort=True, dropna=False)["n"].transform("min").to_numpy(dtype=float)
    per_task["k"] = k.astype(int)
    per_task["pass_at_1"] = c / n
    per_task["pass_at_k"] = np.where(n - c < k, 1.0, 1.0 - special.comb(n - c, k) / special.comb(n, k))
    per_task["pass_hat_k"] = special.comb(c, k) / special.comb(n, k)
    cols = ["k", "pass_at_1", "pass_at_k", "pass_hat_k"]
    agg = per_task.groupby(keys, sort=True, dropna=False).agg(
        k=("k", "first"),
        pass_at_1=("pass_at_1", "mean"),
        pass_at_k=("pass_at_k", "mean"),
        pass_hat_k=("pass_hat_k", "mean"),
    )
    return agg.reset_index()[[*keys, *cols]]


def cell_table(df: pd.DataFrame, conf: float = 0.95) -> pd.DataFrame:
    """Per benchmark cell group (task × agent × strategy, seeds pooled): the finest level of the report."""
    return aggregate(df, ["task_class", "task_id", "agent", "strategy"], conf)
