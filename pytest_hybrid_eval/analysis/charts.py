"""PNG charts for the report. Agg canvas on explicit Figure objects: no pyplot global state, no display.

Every title carries the backend kind, because a scripted sweep measures the harness, not model quality,
and a chart copied out of the report must still say so.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

_MARKERS = "osD^v<>pXh*"


def backend_note(df: pd.DataFrame) -> str:
    """A title suffix naming the backend kind(s) the rows came from."""
    kinds = sorted({str(x) for x in df["backend"].unique()})
    if kinds == ["scripted"]:
        return "(scripted backend — not model quality)"
    if kinds == ["replay"]:
        return "(replay backend — recorded responses)"
    if kinds == ["live"]:
        return "(live backend)"
    return "(mixed backends: " + ", ".join(kinds) + " — read with care)"


def _save(fig: Figure, path: Path) -> Path:
    FigureCanvasAgg(fig)
    fig.savefig(path, dpi=90)  # no bbox_inches="tight": it renders twice; layout is set per figure
    return path


def pareto_chart(
    agg: pd.DataFrame, intervals: dict[tuple, Any], note: str, path: Path, scenario: str
) -> Path:
    """Cost per cell vs pass rate per (agent, strategy), with interval bars and the Pareto frontier."""
    fig = Figure(figsize=(8, 5.5), layout="constrained")
    ax = fig.add_subplot()
    strategies = sorted(agg["strategy"].unique())
    agents = sorted(agg["agent"].unique())
    colours = {s: f"C{i % 10}" for i, s in enumerate(strategies)}
    for _, r in agg.iterrows():
        iv = intervals.get((r["agent"], r["strategy"]), {}).get("cost_per_cell")
        xerr = None
        if iv:
            xerr = [[max(0.0, r["cost_mean"] - iv["lo"])], [max(0.0, iv["hi"] - r["cost_mean"])]]
        piv = intervals.get((r["agent"], r["strategy"]), {}).get("pass_rate", {"lo": r["pass_rate"], "hi": r["pass_rate"]})
        yerr = [[max(0.0, r["pass_rate"] - piv["lo"])], [max(0.0, piv["hi"] - r["pass_rate"])]]
        ax.errorbar(
            r["cost_mean"],
            r["pass_rate"],
            xerr=xerr,
            yerr=yerr,
            fmt=_MARKERS[agents.index(r["agent"]) % len(_MARKERS)],
            color=colours[r["strategy"]],
            capsize=3,
            alpha=0.85,
        )
    pts = (
        agg[["cost_mean", "pass_rate"]]
        .dropna()
        .sort_values(["cost_mean", "pass_rate"], ascending=[True, False])
    )
    frontier, best = [], -np.inf
    for c, p in pts.to_numpy():
        if p > best:
            frontier.append((c, p))
            best = p
    if frontier:
        fx, fy = zip(*frontier, strict=True)
        ax.step(fx, fy, where="post", color="grey", linestyle="--", linewidth=1, label="Pareto frontier")
    for s in strategies:
        ax.plot([], [], "s", color=colours[s], label=s)
    for i, a in enumerate(agents):
        ax.plot([], [], _MARKERS[i % len(_MARKERS)], color="black", label=f"agent {a}")
    ax.set_xlabel(f"mean cost per cell, USD ({scenario}; 95% bootstrap over tasks)")
    ax.set_ylabel("pass rate (95% task-clustered)")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(f"Cost vs pass rate {note}", fontsize=10)
    ax.legend(fontsize=7, loc="best")
    return _save(fig, path)


def heatmaps(df_cells: pd.DataFrame, value: str, label: str, fmt: str, note: str, path: Path) -> Path:
    """task class × agent heatmap of ``value``, one panel per strategy."""
    strategies = sorted(df_cells["strategy"].unique())
    n = len(strategies)
    ncols = min(3, n)
    nrows = int(np.ceil(n / ncols))
    fig = Figure(figsize=(3.8 * ncols + 0.8, 3.0 * nrows + 0.8))
    fig.subplots_adjust(left=0.08, right=0.88, bottom=0.1, top=0.88, wspace=0.35, hspace=0.45)
    classes = sorted(df_cells["task_class"].astype(str).unique())
    agents = sorted(df_cells["agent"].unique())
    vmax = float(np.nanmax(df_cells[value].to_numpy(dtype=float))) if len(df_cells) else 1.0
    vmax = 1.0 if value == "pass_rate" else max(vmax, 1e-9)
    for i, s in enumerate(strategies):
        ax = fig.add_subplot(nrows, ncols, i + 1)
        sub = df_cells[df_cells["strategy"] == s]
        grid = sub.pivot_table(index="task_class", columns="agent", values=value, aggfunc="mean")
        grid = grid.reindex(index=classes, columns=agents)
        im = ax.imshow(grid.to_numpy(dtype=float), vmin=0, vmax=vmax, cmap="viridis", aspect="auto")
        ax.set_xticks(range(len(agents)), agents, fontsize=7, rotation=30)
        ax.set_yticks(range(len(classes)), classes, fontsize=7)
        for (yy, xx), v in np.ndenumerate(grid.to_numpy(dtype=float)):
            if np.isfinite(v):
                ink = "black" if v > 0.6 * vmax else "white"  # readable on both ends of viridis
                ax.text(xx, yy, format(v, fmt), ha="center", va="center", fontsize=7, color=ink)
        ax.set_title(s, fontsize=9)
    if strategies:
        fig.colorbar(im, cax=fig.add_axes((0.91, 0.15, 0.015, 0.7)))  # one shared scale for every panel
    fig.suptitle(f"{label} by task class × agent {note}", fontsize=10)
    return _save(fig, path)


def cloud_share_chart(agg: pd.DataFrame, intervals: dict[tuple, Any], note: str, path: Path) -> Path:
    """Cloud token share per strategy, one bar per agent, with bootstrap intervals over tasks."""
    strategies = sorted(agg["strategy"].unique())
    agents = sorted(agg["agent"].unique())
    fig = Figure(figsize=(max(6, 1.2 * len(strategies) * max(1, len(agents)) / 2), 4.5), layout="constrained")
    ax = fig.add_subplot()
    width = 0.8 / max(1, len(agents))
    for j, a in enumerate(agents):
        xs, ys, lo, hi = [], [], [], []
        for i, s in enumerate(strategies):
            row = agg[(agg["agent"] == a) & (agg["strategy"] == s)]
            if row.empty:
                continue
            y = float(row["cloud_share"].iloc[0])
            iv = intervals.get((a, s), {}).get("cloud_share", {"lo": y, "hi": y})
            xs.append(i + (j - (len(agents) - 1) / 2) * width)
            ys.append(y)
            lo.append(max(0.0, y - iv["lo"]))
            hi.append(max(0.0, iv["hi"] - y))
        ax.bar(xs, ys, width=width, yerr=[lo, hi], capsize=3, label=f"agent {a}")
    ax.set_xticks(range(len(strategies)), strategies, rotation=20, fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("cloud share of tokens (95% bootstrap over tasks)")
    ax.set_title(f"Cloud token share per strategy {note}", fontsize=10)
    ax.legend(fontsize=7)
    return _save(fig, path)
