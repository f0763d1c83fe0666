"""Strategy vs strategy, paired on (task, seed) within each agent (and pooled over agents).

Pairing removes task difficulty from the comparison: both strategies ran the same task with the same
seed, so only discordant pairs carry information (McNemar), and the bootstrap of the difference resamples
tasks so that seeds of one task are not counted as independent evidence.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations
from typing import Any

import pandas as pd

from pytest_hybrid_eval.bootstrap import PairedResult, group_rng, paired_from_wide, paired_table

ALL_AGENTS = "(all agents)"


def compare_strategies(
    df: pd.DataFrame,
    group_keys: Sequence[str] = ("agent",),
    n_resamples: int = 10_000,
    conf: float = 0.95,
    pooled: bool = True,
) -> list[dict[str, Any]]:
    """All strategy pairs within each group (default: per agent), plus pooled over agents.

    Only graded rows enter (error rows are graded failures); a pair is used only if both strategies have
    it. The pooled comparison pairs on (agent, task, seed) and still resamples tasks.
    """
    graded = df[df["graded"]].assign(_pass=lambda d: (d["passed"]).astype(float))
    out: list[dict[str, Any]] = []
    keys = list(group_keys)
    # several sweeps may reuse (task, seed): a pair is then only formed inside one sweep
    within: tuple[str, ...] = ("sweep",) if graded["sweep"].nunique() > 1 else ()
    for gkey, g in graded.groupby(keys, sort=True, dropna=False):
        gk = gkey if isinstance(gkey, tuple) else (gkey,)
        out.extend(
            _pairs(g, dict(zip(keys, gk, strict=True)), ("task_id", "seed", *within), n_resamples, conf)
        )
    if pooled and graded["agent"].nunique() > 1:
        extra = [k for k in keys if k != "agent"]
        groups = graded.groupby(extra, sort=True, dropna=False) if extra else [((), graded)]
        for gkey, g in groups:
            gk = gkey if isinstance(gkey, tuple) else (gkey,)
            label = {"agent": ALL_AGENTS, **dict(zip(extra, gk, strict=True))}
            out.extend(_pairs(g, label, ("agent", "task_id", "seed", *within), n_resamples, conf))
    return out


def _pairs(
    g: pd.DataFrame, label: dict[str, Any], pair_on: tuple[str, ...], n_resamples: int, conf: float
) -> list[dict[str, Any]]:
    wide = paired_table(g, "strategy", "_pass", pair_on)
    res = []
    for a, b in combinations(sorted(g["strategy"].unique()), 2):
        key = ("paired", *label.values(), a, b)
        try:
            r = paired_from_wide(wide, a, b, n_resamples=n_resamples, rng=group_rng(key), conf=conf)
        except ValueError:
            continue  # no shared pairs: nothing to compare, and nothing is claimed
        res.append({**label, **r.as_dict(), "significant": is_significant(r, conf)})
    return res


def is_significant(r: PairedResult, conf: float = 0.95) -> bool:
    """Both tests must agree: the task-clustered interval excludes 0 and exact McNemar p < 1 − conf.

    McNemar alone treats seeds of one task as independent (anti-conservative when tasks differ); the
    bootstrap alone can be narrow with very few discordant pairs. Requiring both guards each weakness.
    """
    excludes_zero = r.diff.lo > 0 or r.diff.hi < 0
    return bool(excludes_zero and r.mcnemar_p < 1 - conf)


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
            }
    return None


def comparisons_markdown(
    comparisons: list[dict[str, Any]], label_keys: Sequence[str], backend_note: str
) -> str:
    lines = [
        f"# Paired strategy comparisons {backend_note}",
        "",
        "Difference = pass rate of A − pass rate of B on the (task, seed) pairs both ran; interval = 95% "
        "bootstrap resampling tasks, seeds nested; McNemar = exact test on discordant pairs "
        "(A-only / B-only). Significant = interval excludes 0 and McNemar p < 0.05. p-values are not "
        "adjusted for the number of comparisons.",
        "",
        f"| {' | '.join(label_keys)} | A | B | pairs | A rate | B rate | A − B [95% CI] | A-only | B-only "
        "| McNemar p | significant |",
        "|" + "---|" * (len(label_keys) + 10),
    ]
    for c in comparisons:
        d = c["diff"]
        lines.append(
            f"| {' | '.join(str(c.get(k, '')) for k in label_keys)} | {c['a']} | {c['b']} | {c['n_pairs']} "
            f"| {c['rate_a']:.3f} | {c['rate_b']:.3f} | {d['estimate']:+.3f} [{d['lo']:+.3f}, {d['hi']:+.3f}] "
            f"| {c['a_only']} | {c['b_only']} | {c['mcnemar_p']:.4g} | {'yes' if c['significant'] else 'no'} |"
        )
    return "\n".join(lines) + "\n"
