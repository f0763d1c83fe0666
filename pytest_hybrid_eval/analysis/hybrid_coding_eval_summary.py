"""The per-route summary of hybrid-coding-eval's rows, the predecessor project, on our terms.

Its early rows name a routing configuration (R1–R5) rather than an agent and a strategy, so the decision
matrix alone hides the comparison its users knew; this table gives it back: per agent (route) and
strategy, pass rate with a Wilson interval, errors, cloud token share and cost under every scenario.
The rows themselves are read by ``store.hybrid_coding_eval``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pytest_hybrid_eval.analysis.frame import add_costs
from pytest_hybrid_eval.pricing import PricingTable, load_table
from pytest_hybrid_eval.stats import wilson_many


def summarize_hybrid_coding_eval(
    df: pd.DataFrame, table: PricingTable | None = None, scenarios: list[str] | None = None
) -> pd.DataFrame:
    """Per agent (route) and strategy: rows, graded, passes, pass rate with Wilson interval, errors,
    cloud token share and the total cloud cost under each pricing scenario."""
    table = table or load_table()
    scenarios = [table.resolve(s) for s in (scenarios or table.scenario_names)]
    work = add_costs(df, table, scenarios, primary=scenarios[0])
    work["_gp"] = work["passed"] & work["graded"]
    work["_err"] = work["error"] != "none"
    work["_cloud_tok"] = work["cloud_prompt"] + work["cloud_completion"]
    work["_all_tok"] = work["_cloud_tok"] + work["local_prompt"] + work["local_completion"]
    agg = work.groupby(["agent", "strategy"], sort=True).agg(
        rows=("task_id", "size"),
        graded=("graded", "sum"),
        passed=("_gp", "sum"),
        errors=("_err", "sum"),
        cloud_tokens=("_cloud_tok", "sum"),
        all_tokens=("_all_tok", "sum"),
        **{f"cost__{sc}": (f"cost__{sc}", "sum") for sc in scenarios},
    )
    agg["pass_rate"] = np.where(
        agg["graded"] > 0, agg["passed"] / agg["graded"].where(agg["graded"] > 0, 1), np.nan
    )
    agg["pass_lo"], agg["pass_hi"] = wilson_many(agg["passed"].to_numpy(), agg["graded"].to_numpy())
    agg["cloud_share"] = agg["cloud_tokens"] / agg["all_tokens"].where(agg["all_tokens"] > 0, 1)
    cols = ["rows", "graded", "passed", "pass_rate", "pass_lo", "pass_hi", "errors", "cloud_share"]
    return agg[cols + [f"cost__{sc}" for sc in scenarios]].reset_index()
