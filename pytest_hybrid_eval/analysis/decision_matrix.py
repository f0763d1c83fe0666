"""The decision matrix: per group, which routing strategy to use and why — by non-inferiority.

"Not significantly worse" is not "as good": with 5 tasks no difference is significant, and the old rule
then recommended the cheapest arm even 60 points below the best. The rule is ``analysis.recommend``: a
strategy is recommended only if the one-sided lower bound of its paired difference is above −margin
(``analysis.margin``) against every costlier strategy and the best point estimate, the bounds Bonferroni-
adjusted over the group; otherwise the group says there is not enough evidence, recommends the best point
estimate (labelled as such: it is not backed by a test), sets ``evidence`` false,
and states the smallest drop it could rule out and roughly how many tasks it would take. The bound is
``clustered.diff_intervals``: clustered by task, and open when no pair differs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from pytest_hybrid_eval.analysis.comparisons import ALL_AGENTS, find, pair_arrays, pair_on, paired_diff
from pytest_hybrid_eval.analysis.recommend import Arm, BoundFn, Choice, binding, choose, family_conf
from pytest_hybrid_eval.bootstrap import paired_table


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
    g = g.sort_values([rate_col, "cost_mean"], ascending=[False, True])
    arms = [Arm(str(s["strategy"]), float(s[rate_col]), float(s["cost_mean"])) for _, s in g.iterrows()]
    pooled = label.get("agent") == ALL_AGENTS
    wide = paired_table(rows_df, "strategy", "_pass", pair_on(rows_df, pooled))
    conf = family_conf(len(arms))
    bound = _bounds(wide, gk, conf, n_resamples)
    choice = choose(arms, bound, margin)
    best = choice.best
    rows: list[dict[str, Any]] = []
    for arm, (_, s) in zip(arms, g.iterrows(), strict=True):
        name = arm.name
        refs = [a for a in arms if a.name in choice.refs[name]]
        bind = binding(arm, refs, bound)
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
                "tested_against": choice.refs[name],
                "lower_bound": None if bind is None else {**bind[1], "vs": bind[0]},
                "vs_best_bound": bound(name, best) if name != best else None,
                "non_inferior": choice.non_inferior[name],
            }
        )
    for r in rows:
        r["verdict"] = _verdict(r, choice, margin)
    return {
        **label,
        "best": best,
        "recommended": choice.recommended,
        "evidence": choice.evidence,
        "basis": choice.basis,
        "margin": margin,
        "simultaneous_conf": conf,
        "reason": _reason(choice, rows, margin, conf),
        "rows": sorted(rows, key=lambda r: (r["cost_mean"], -r["pass_rate"])),
    }


def _bounds(wide: pd.DataFrame, gk: tuple[Any, ...], conf: float, n_resamples: int) -> BoundFn:
    """Bounds of x − y, one computation per unordered pair (its own generator), oriented on request."""
    cache: dict[tuple[str, str], dict[str, Any] | None] = {}

    def bound(x: str, y: str) -> dict[str, Any] | None:
        key = (min(x, y), max(x, y))
        if key not in cache:
            arrs = pair_arrays(wide, *key)
            cache[key] = None if arrs is None else paired_diff(arrs, ("ni", *gk, *key), conf, n_resamples, sided=1)
        res = cache[key]
        if res is None or (x, y) == key:
            return res
        return {**res, "estimate": -res["estimate"], "lo": -res["hi"], "hi": -res["lo"]}

    return bound


def tasks_needed(estimate: float, lower: float, n_tasks: int, margin: float) -> int | None:
    """Tasks at which the lower bound would clear −margin if the observed difference held and the bound's
    distance from the estimate shrank as 1/√tasks; None when the estimate itself is below −margin."""
    if estimate <= -margin:
        return None
    half = estimate - lower
    if half <= 0:
        return n_tasks
    return max(n_tasks, int(-(-n_tasks * (half / (estimate + margin)) ** 2 // 1)))


def _verdict(r: dict[str, Any], choice: Choice, margin: float) -> str:
    tags = []
    if r["strategy"] == choice.recommended:
        tags.append("**recommended**" + ("" if choice.evidence else " (not enough evidence)"))
    if r["strategy"] == choice.best:
        tags.append("best point estimate")
    if not r["tested_against"]:
        tags.append("nothing costlier to test against")
    elif r["lower_bound"] is None:
        tags.append("no shared pairs with a reference (not tested)")
    elif r["non_inferior"]:
        tags.append(f"non-inferior to every costlier strategy (drop < {margin:.0%} shown)")
    else:
        tags.append(f"not shown within {margin:.0%} of {r['lower_bound']['vs']}")
    return "; ".join(tags)


def _reason(choice: Choice, rows: list[dict[str, Any]], margin: float, conf: float) -> str:
    by = {r["strategy"]: r for r in rows}
    best, rec = by[choice.best], by[choice.recommended]
    how = f"lower bound (one-sided {conf:.2%}, Bonferroni over {len(rows) - 1} comparison(s))"
    prefix = "No strategy passed any graded cell, so nothing here measures quality: " if best["pass_rate"] == 0 else ""

    def desc(r: dict[str, Any]) -> str:
        return f"{r['strategy']} ({r['pass_rate']:.3f}, ${r['cost_mean']:.4f}/cell)"

    if choice.basis == "only-strategy":
        return f"{prefix}{desc(best)} is the only strategy with graded cells: nothing was compared."
    if choice.basis == "non-inferior":
        lb = rec["lower_bound"]
        who = "the best point estimate and " if rec is best else ""
        return (
            f"{prefix}{desc(rec)} is {who}shown non-inferior to every costlier strategy"
            + ("" if rec is best else f" and to the best point estimate {desc(best)}")
            + f": closest, {rec['strategy']} − {lb['vs']} = {lb['estimate']:+.3f}, {how} {lb['lo']:+.3f} "
            f"> −{margin:.2f}."
        )
    if choice.basis == "shown-better":
        worst = max(r["vs_best_bound"]["hi"] for r in rows if r["vs_best_bound"] is not None)
        return (
            f"{prefix}{desc(best)} has the best pass rate and every cheaper strategy is shown worse: the upper "
            f"bound of (cheaper − {best['strategy']}) is at most {worst:+.3f} < 0 at the same level."
        )
    text = f"{prefix}Not enough evidence to pick a cheaper strategy: recommending the best point estimate {desc(rec)}"
    candidates = [r for r in rows if r["cost_mean"] < best["cost_mean"] and r["strategy"] != best["strategy"]]
    if any(r["cost_mean"] > best["cost_mean"] for r in rows):
        text += f", which is itself not shown within {margin:.0%} of every costlier strategy"
        candidates = candidates or [best]
    text += "."
    tested = [r for r in candidates if r["lower_bound"] is not None]
    if not tested:
        return text + " The cheaper strategies share no (task, seed) pairs with their references, so none was tested."
    top = max(tested, key=lambda r: r["lower_bound"]["lo"])
    lb = top["lower_bound"]
    text += (
        f" Closest cheaper candidate {top['strategy']}: {top['strategy']} − {lb['vs']} = {lb['estimate']:+.3f}, "
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
        "bootstrap effective n, t quantile, never narrower than Clopper-Pearson on the effective counts); "
        "the next column leaves out infrastructure errors. "
        f"Recommended = the cheapest strategy shown non-inferior to every costlier strategy and to the best "
        f"point estimate: the one-sided lower bound of each paired difference (task-clustered, Bonferroni "
        f"over the group) is above −{margin:.2f}. Otherwise there is not enough evidence (evidence: no) and "
        "the best point estimate is named, unbacked. The lower-bound column shows the binding bound and "
        "what it is against.",
    ]
    for d in decisions:
        title = ", ".join(f"{k} = {d[k]}" for k in label_keys)
        ev = "yes" if d["evidence"] else "no"
        lines += ["", f"## {title}", "", f"**Recommended: {d['recommended']}** (evidence: {ev}) — {d['reason']}", ""]
        lines += [
            "| strategy | pass rate [95% clustered] | excl. infra errors | errors | cost/cell [95% CI] "
            "| cloud share | vs best (Δ [95% CI]) | lower bound | verdict |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for r in d["rows"]:
            ci = r["cost_ci"]
            cost = f"${r['cost_mean']:.4f}" + (f" [{ci['lo']:.4f}, {ci['hi']:.4f}]" if ci else "")
            vs = "—" if r["vs_best"] is None else _fmt_cmp(r["vs_best"])
            lb = "—" if r["lower_bound"] is None else f"{r['lower_bound']['lo']:+.3f} vs {r['lower_bound']['vs']}"
            lines.append(
                f"| {r['strategy']} | {r['pass_rate']:.3f} [{r['pass_lo']:.3f}, {r['pass_hi']:.3f}] "
                f"| {r['pass_rate_excl_infra']:.3f} | {r['errors']} | {cost} | {r['cloud_share']:.1%} | {vs} "
                f"| {lb} | {r['verdict']} |"
            )
    return "\n".join(lines) + "\n"
