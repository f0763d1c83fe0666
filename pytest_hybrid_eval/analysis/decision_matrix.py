"""The decision matrix: per agent, which routing strategy to use and why.

"Recommended" is the cheapest strategy that is not significantly worse than the best one by the paired
test (``comparisons.is_significant``). The seed picked the highest point estimate, which on a dozen 0/1
outcomes mostly picks noise and ignores cost; here a strategy must lose on paired evidence to be ruled
out, and among the survivors price decides. The reason is written out so a reader can check it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from pytest_hybrid_eval.analysis.comparisons import find


def decide(
    agg: pd.DataFrame,
    comparisons: list[dict[str, Any]],
    label_keys: Sequence[str],
    intervals: dict[tuple, Any],
) -> list[dict[str, Any]]:
    """One decision per label group (e.g. per agent): the matrix rows, best, recommended and the reason."""
    decisions: list[dict[str, Any]] = []
    keys = list(label_keys)
    for gkey, g in agg.groupby(keys, sort=True, dropna=False):
        gk = gkey if isinstance(gkey, tuple) else (gkey,)
        label = dict(zip(keys, gk, strict=True))
        g = g[g["graded"] > 0]
        if g.empty:
            continue
        ranked = g.sort_values(["pass_rate", "cost_mean"], ascending=[False, True])
        best = ranked.iloc[0]
        rows: list[dict[str, Any]] = []
        for _, s in g.iterrows():
            cmp = (
                None
                if s["strategy"] == best["strategy"]
                else find(comparisons, label, s["strategy"], best["strategy"])
            )
            worse = bool(cmp and cmp["significant"] and cmp["diff"]["estimate"] < 0)
            iv = intervals.get((*gk, s["strategy"]), {})
            rows.append(
                {
                    "strategy": s["strategy"],
                    "graded": int(s["graded"]),
                    "pass_rate": float(s["pass_rate"]),
                    "wilson_lo": float(s["wilson_lo"]),
                    "wilson_hi": float(s["wilson_hi"]),
                    "pass_rate_excl_infra": float(s["pass_rate_excl_infra"]),
                    "errors": int(s["errors"]),
                    "cost_mean": float(s["cost_mean"]),
                    "cost_ci": iv.get("cost_per_cell"),
                    "cloud_share": float(s["cloud_share"]),
                    "vs_best": cmp,
                    "significantly_worse": worse,
                    "untested": cmp is None and s["strategy"] != best["strategy"],
                }
            )
        eligible = [r for r in rows if not r["significantly_worse"]]
        rec = min(eligible, key=lambda r: (r["cost_mean"], -r["pass_rate"]))
        for r in rows:
            r["verdict"] = _verdict(r, rec["strategy"], str(best["strategy"]))
        decisions.append(
            {
                **label,
                "best": str(best["strategy"]),
                "recommended": rec["strategy"],
                "reason": _reason(rec, rows, str(best["strategy"])),
                "rows": sorted(rows, key=lambda r: (r["cost_mean"], -r["pass_rate"])),
            }
        )
    return decisions


def _verdict(r: dict[str, Any], rec: str, best: str) -> str:
    tags = []
    if r["strategy"] == rec:
        tags.append("**recommended**")
    if r["strategy"] == best:
        tags.append("best point estimate")
    if r["significantly_worse"]:
        tags.append("significantly worse than best")
    elif r["untested"]:
        tags.append("no shared pairs with best (not tested)")
    elif r["strategy"] != best:
        tags.append("not significantly worse")
    return "; ".join(tags)


def _fmt_cmp(c: dict[str, Any]) -> str:
    d = c["diff"]
    return f"Δ = {d['estimate']:+.3f} [{d['lo']:+.3f}, {d['hi']:+.3f}], McNemar p = {c['mcnemar_p']:.3g}, {c['n_pairs']} pairs"


def _reason(rec: dict[str, Any], rows: list[dict[str, Any]], best: str) -> str:
    text = (
        f"{rec['strategy']} is the cheapest (${rec['cost_mean']:.4f}/cell) of the strategies not significantly "
        f"worse than the best point estimate ({best}, pass rate "
        f"{next(r['pass_rate'] for r in rows if r['strategy'] == best):.3f})"
    )
    if rec["strategy"] == best:
        text += "; it is the best itself"
    elif rec["vs_best"] is not None:
        text += f"; {rec['strategy']} − {best}: {_fmt_cmp(rec['vs_best'])}"
    else:
        text += f"; it shares no (task, seed) pairs with {best}, so it could not be tested against it"
    if max(r["pass_rate"] for r in rows) == 0:
        text = "No strategy passed any graded cell, so this only ranks cost: " + text
    cheaper_worse = [r for r in rows if r["significantly_worse"] and r["cost_mean"] < rec["cost_mean"]]
    if cheaper_worse:
        parts = [f"{r['strategy']} ({_fmt_cmp(r['vs_best'])})" for r in cheaper_worse]
        text += ". Cheaper but significantly worse: " + "; ".join(parts)
    return text + "."


def matrix_markdown(
    decisions: list[dict[str, Any]], label_keys: Sequence[str], backend_note: str, scenario: str
) -> str:
    lines = [
        f"# Decision matrix {backend_note}",
        "",
        f"Cost = mean USD per cell under pricing scenario `{scenario}` (cloud tokens only; local = 0). "
        "Pass rate counts error rows as failures; the next column leaves out infra/backend/score errors. "
        "Recommended = cheapest strategy not significantly worse than the best (paired bootstrap over "
        "tasks with seeds nested, and exact McNemar, both at 0.05).",
    ]
    for d in decisions:
        title = ", ".join(f"{k} = {d[k]}" for k in label_keys)
        lines += [
            "",
            f"## {title}",
            "",
            f"**Recommended: {d['recommended']}** — {d['reason']}",
            "",
            "| strategy | pass rate [95% Wilson] | pass rate excl. infra errors | errors | cost/cell [95% CI] "
            "| cloud share | vs best (Δ [95% CI], McNemar p) | verdict |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for r in d["rows"]:
            ci = r["cost_ci"]
            cost = f"${r['cost_mean']:.4f}" + (f" [{ci['lo']:.4f}, {ci['hi']:.4f}]" if ci else "")
            vs = "—" if r["vs_best"] is None else _fmt_cmp(r["vs_best"])
            lines.append(
                f"| {r['strategy']} | {r['pass_rate']:.3f} [{r['wilson_lo']:.3f}, {r['wilson_hi']:.3f}] "
                f"| {r['pass_rate_excl_infra']:.3f} | {r['errors']} | {cost} | {r['cloud_share']:.1%} | {vs} "
                f"| {r['verdict']} |"
            )
    return "\n".join(lines) + "\n"
