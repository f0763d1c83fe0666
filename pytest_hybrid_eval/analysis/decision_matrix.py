"""The decision matrix: per group, which routing strategy to use and why — by non-inferiority.

"Not significantly worse" is not "as good": with 5 tasks no difference is significant, and the old rule
then recommended the cheapest arm even 60 points below the best. Here a cheaper strategy is recommended
only if the one-sided 95% lower bound of its paired difference from the best point estimate is above
−margin (``analysis.margin``), the bounds of a group's comparisons holding simultaneously (Bonferroni over
the strategies compared with the best). Otherwise the group says there is not enough evidence, recommends
the best point estimate, and states the smallest drop it could rule out and roughly how many tasks it
would take. The bound is ``clustered.diff_intervals``: clustered by task, and open when no pair differs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from pytest_hybrid_eval.analysis.comparisons import ALL_AGENTS, find, pair_arrays, pair_on, paired_diff
from pytest_hybrid_eval.bootstrap import paired_table

ALPHA = 0.05


def decide(
    agg: pd.DataFrame,
    comparisons: list[dict[str, Any]],
    label_keys: Sequence[str],
    intervals: dict[tuple, Any],
    df: pd.DataFrame,
    margin: float = 0.05,
    n_resamples: int = 2_000,
) -> list[dict[str, Any]]:
    """One decision per label group: the matrix rows, best, recommended and the reason; each decision is
    made again without infrastructure-error rows and a changed recommendation is flagged."""
    graded = df[df["graded"]].assign(_pass=lambda d: d["passed"].astype(float))
    decisions: list[dict[str, Any]] = []
    keys = list(label_keys)
    for gkey, g in agg.groupby(keys, sort=True, dropna=False):
        gk = gkey if isinstance(gkey, tuple) else (gkey,)
        label = dict(zip(keys, gk, strict=True))
        g = g[g["graded"] > 0]
        if g.empty:
            continue
        rows_df = group_rows(graded, label)
        d = _decide_one(g, rows_df, label, comparisons, intervals, gk, margin, n_resamples, "pass_rate")
        ok = _decide_one(
            g, rows_df[~rows_df["infra_error"]], label, [], {}, gk, margin, n_resamples, "pass_rate_excl_infra"
        )
        d["recommended_excl_infra"] = ok["recommended"] if ok else None
        d["flips_without_infra"] = bool(ok and ok["recommended"] != d["recommended"])
        if d["flips_without_infra"]:
            d["reason"] += (
                f" FLAGGED: without infrastructure-error rows the recommendation would be "
                f"{ok['recommended']} — infrastructure failures, not the strategies, decide this group."
            )
        decisions.append(d)
    return decisions


def group_rows(graded: pd.DataFrame, label: dict[str, Any]) -> pd.DataFrame:
    sel = graded
    for k, v in label.items():
        if k == "agent" and v == ALL_AGENTS:
            continue
        sel = sel[sel[k] == v]
    return sel


def _decide_one(
    g: pd.DataFrame,
    rows_df: pd.DataFrame,
    label: dict[str, Any],
    comparisons: list[dict[str, Any]],
    intervals: dict[tuple, Any],
    gk: tuple[Any, ...],
    margin: float,
    n_resamples: int,
    rate_col: str,
) -> dict[str, Any] | None:
    g = g[g[rate_col].notna()]
    if g.empty or rows_df.empty:
        return None
    ranked = g.sort_values([rate_col, "cost_mean"], ascending=[False, True])
    best = str(ranked.iloc[0]["strategy"])
    pooled = label.get("agent") == ALL_AGENTS
    wide = paired_table(rows_df, "strategy", "_pass", pair_on(rows_df, pooled))
    others = [s for s in g["strategy"] if s != best]
    conf = 1 - ALPHA / max(1, len(others))  # one-sided, simultaneous over the group's comparisons
    rows: list[dict[str, Any]] = []
    for _, s in g.iterrows():
        name = str(s["strategy"])
        lb: dict[str, Any] | None = None
        if name != best:
            arrs = pair_arrays(wide, name, best)
            if arrs is not None:
                lb = paired_diff(arrs, ("ni", *gk, name, best), conf, n_resamples, sided=1)
                lb["n_tasks"] = int(len(arrs["m"]))
        iv = intervals.get((*gk, name), {})
        rows.append(
            {
                "strategy": name,
                "graded": int(s["graded"]),
                "pass_rate": float(s["pass_rate"]),
                "pass_lo": float(iv.get("pass_rate", {}).get("lo", float("nan"))),
                "pass_hi": float(iv.get("pass_rate", {}).get("hi", float("nan"))),
                "pass_rate_excl_infra": float(s["pass_rate_excl_infra"]),
                "errors": int(s["errors"]),
                "infra_errors": int(s["infra_errors"]),
                "cost_mean": float(s["cost_mean"]),
                "cost_ci": iv.get("cost_per_cell"),
                "cloud_share": float(s["cloud_share"]),
                "vs_best": find(comparisons, label, name, best) if name != best else None,
                "lower_bound": lb,
                "non_inferior": name == best or bool(lb and lb["lo"] > -margin),
            }
        )
    eligible = [r for r in rows if r["non_inferior"]]
    rec = min(eligible, key=lambda r: (r["cost_mean"], -r["pass_rate"]))
    for r in rows:
        r["verdict"] = _verdict(r, rec["strategy"], best, margin)
    return {
        **label,
        "best": best,
        "recommended": rec["strategy"],
        "margin": margin,
        "simultaneous_conf": conf,
        "reason": _reason(rec, rows, best, margin, conf),
        "rows": sorted(rows, key=lambda r: (r["cost_mean"], -r["pass_rate"])),
    }


def tasks_needed(estimate: float, lower: float, n_tasks: int, margin: float) -> int | None:
    """Tasks at which the lower bound would clear −margin if the observed difference held and the bound's
    distance from the estimate shrank as 1/√tasks; None when the estimate itself is below −margin."""
    if estimate <= -margin:
        return None
    half = estimate - lower
    if half <= 0:
        return n_tasks
    return max(n_tasks, int(-(-n_tasks * (half / (estimate + margin)) ** 2 // 1)))


def _verdict(r: dict[str, Any], rec: str, best: str, margin: float) -> str:
    tags = []
    if r["strategy"] == rec:
        tags.append("**recommended**")
    if r["strategy"] == best:
        tags.append("best point estimate")
    elif r["lower_bound"] is None:
        tags.append("no shared pairs with best (not tested)")
    elif r["non_inferior"]:
        tags.append(f"non-inferior (drop < {margin:.0%} shown)")
    else:
        tags.append(f"not shown within {margin:.0%} of best")
    return "; ".join(tags)


def _reason(rec: dict[str, Any], rows: list[dict[str, Any]], best: str, margin: float, conf: float) -> str:
    best_row = next(r for r in rows if r["strategy"] == best)
    how = f"lower bound (one-sided {conf:.2%}, Bonferroni over {len(rows) - 1} comparison(s))"
    if max(r["pass_rate"] for r in rows) == 0:
        prefix = "No strategy passed any graded cell, so this only ranks cost: "
    else:
        prefix = ""
    if rec["strategy"] != best:
        lb = rec["lower_bound"]
        return (
            f"{prefix}{rec['strategy']} (${rec['cost_mean']:.4f}/cell) is shown non-inferior to the best point "
            f"estimate {best} ({best_row['pass_rate']:.3f}, ${best_row['cost_mean']:.4f}/cell): "
            f"{rec['strategy']} − {best} = {lb['estimate']:+.3f}, {how} {lb['lo']:+.3f} > −{margin:.2f}."
        )
    cheaper = [r for r in rows if r["cost_mean"] < best_row["cost_mean"] and r["strategy"] != best]
    if not cheaper:
        return f"{prefix}{best} has the best pass rate ({best_row['pass_rate']:.3f}) and no strategy is cheaper."
    tested = [r for r in cheaper if r["lower_bound"] is not None]
    text = (
        f"{prefix}Not enough evidence to pick a cheaper strategy: recommending the best point estimate {best} "
        f"({best_row['pass_rate']:.3f}, ${best_row['cost_mean']:.4f}/cell)."
    )
    if not tested:
        return text + f" The cheaper strategies share no (task, seed) pairs with {best}, so none was tested."
    top = max(tested, key=lambda r: r["lower_bound"]["lo"])
    lb = top["lower_bound"]
    text += (
        f" Closest cheaper candidate {top['strategy']}: {top['strategy']} − {best} = {lb['estimate']:+.3f}, "
        f"{how} {lb['lo']:+.3f}, so this group can only rule out drops larger than {-lb['lo']:.0%} "
        f"(margin {margin:.0%})"
    )
    need = tasks_needed(lb["estimate"], lb["lo"], lb["n_tasks"], margin)
    if need is None:
        return text + "; its observed drop already exceeds the margin, so more tasks would not clear it."
    return text + f"; roughly {need - lb['n_tasks']} more tasks ({need} in all) if the observed difference held."


def _fmt_cmp(c: dict[str, Any]) -> str:
    d = c["diff"]
    return f"Δ = {d['estimate']:+.3f} [{d['lo']:+.3f}, {d['hi']:+.3f}], {c['n_pairs']} pairs / {c['n_tasks']} tasks"


def matrix_markdown(
    decisions: list[dict[str, Any]], label_keys: Sequence[str], backend_note: str, scenario: str
) -> str:
    margin = decisions[0]["margin"] if decisions else 0.05
    lines = [
        f"# Decision matrix {backend_note}",
        "",
        f"Cost = mean USD per cell under pricing scenario `{scenario}` (cloud tokens only; local = 0). "
        "Pass rate counts error rows as failures, with a 95% task-clustered interval (Wilson on the "
        "bootstrap effective n, t quantile); the next column leaves out infrastructure errors. "
        f"Recommended = the cheapest strategy shown non-inferior to the best point estimate: the one-sided "
        f"lower bound of its paired difference (task-clustered, simultaneous over the group's comparisons) "
        f"is above −{margin:.2f}; otherwise the best point estimate.",
    ]
    for d in decisions:
        title = ", ".join(f"{k} = {d[k]}" for k in label_keys)
        lines += ["", f"## {title}", "", f"**Recommended: {d['recommended']}** — {d['reason']}", ""]
        lines += [
            "| strategy | pass rate [95% clustered] | excl. infra errors | errors | cost/cell [95% CI] "
            "| cloud share | vs best (Δ [95% CI]) | lower bound | verdict |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for r in d["rows"]:
            ci = r["cost_ci"]
            cost = f"${r['cost_mean']:.4f}" + (f" [{ci['lo']:.4f}, {ci['hi']:.4f}]" if ci else "")
            vs = "—" if r["vs_best"] is None else _fmt_cmp(r["vs_best"])
            lb = "—" if r["lower_bound"] is None else f"{r['lower_bound']['lo']:+.3f}"
            lines.append(
                f"| {r['strategy']} | {r['pass_rate']:.3f} [{r['pass_lo']:.3f}, {r['pass_hi']:.3f}] "
                f"| {r['pass_rate_excl_infra']:.3f} | {r['errors']} | {cost} | {r['cloud_share']:.1%} | {vs} "
                f"| {lb} | {r['verdict']} |"
            )
    return "\n".join(lines) + "\n"
