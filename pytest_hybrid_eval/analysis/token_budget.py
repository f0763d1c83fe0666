"""Token budget: tokens per cell by tier and what the cloud share would cost under each price scenario.

Costs are recomputed from token counts with the versioned table, so the same sweep can be read as "what
if the cloud tier were Haiku / Opus / GPT-5 mini"; local tokens are shown but priced at 0.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

TOKEN_COLS = [
    "local_prompt",
    "local_completion",
    "cloud_prompt",
    "cloud_completion",
    "cloud_cached",
    "aux_prompt",
]


def token_budget(df: pd.DataFrame, keys: Sequence[str], scenarios: Sequence[str]) -> pd.DataFrame:
    """Per group: mean tokens per cell by tier, cloud share, and mean/total USD per scenario."""
    g = df.groupby(list(keys), sort=True, dropna=False)
    out = g[TOKEN_COLS].mean().add_suffix("_per_cell")
    out.insert(0, "cells", g.size())
    cloud = g[["cloud_prompt", "cloud_completion"]].sum().sum(axis=1)
    total = cloud + g[["local_prompt", "local_completion"]].sum().sum(axis=1)
    out["cloud_share"] = cloud / total.where(total > 0, 1)
    passes = g["passed"].sum()
    for sc in scenarios:
        col = f"cost__{sc}"
        out[f"usd_per_cell__{sc}"] = g[col].mean()
        out[f"usd_total__{sc}"] = g[col].sum()
        out[f"usd_per_pass__{sc}"] = (g[col].sum() / passes.where(passes > 0)).astype(float)
    return out.reset_index()


def budget_markdown(
    tb: pd.DataFrame, keys: Sequence[str], scenarios: Sequence[str], backend_note: str
) -> str:
    lines = [
        f"# Token budget {backend_note}",
        "",
        "Mean tokens per cell by tier; USD per cell if the cloud tier were priced as each scenario "
        "(local tokens cost 0, cached prompt tokens at the cache-read price).",
        "",
        f"| {' | '.join(keys)} | cells | local tok/cell | cloud tok/cell | cloud share | "
        + " | ".join(f"$/cell {s}" for s in scenarios)
        + " |",
        "|" + "---|" * (len(keys) + 4 + len(scenarios)),
    ]
    for _, r in tb.iterrows():
        local = r["local_prompt_per_cell"] + r["local_completion_per_cell"]
        cloud = r["cloud_prompt_per_cell"] + r["cloud_completion_per_cell"]
        costs = " | ".join(f"{r[f'usd_per_cell__{s}']:.4f}" for s in scenarios)
        lines.append(
            f"| {' | '.join(str(r[k]) for k in keys)} | {int(r['cells'])} | {local:,.0f} | {cloud:,.0f} "
            f"| {r['cloud_share']:.1%} | {costs} |"
        )
    return "\n".join(lines) + "\n"
