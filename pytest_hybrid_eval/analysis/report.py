"""``analyze``: one call from a results folder to DIR/analysis/ (JSON, Markdown, CSV, PNG, one HTML file).

The HTML report embeds its charts as base64 so it can be mailed or attached to a CI run as one file, and
it ends with provenance (table and config hashes, backends, row counts) so a figure can be traced.
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

import pytest_hybrid_eval.analysis.charts as charts
from pytest_hybrid_eval import __version__
from pytest_hybrid_eval.analysis.aggregate import aggregate, cell_table
from pytest_hybrid_eval.analysis.comparisons import ALL_AGENTS, compare_strategies, comparisons_markdown
from pytest_hybrid_eval.analysis.decision_matrix import decide, matrix_markdown
from pytest_hybrid_eval.analysis.frame import add_costs
from pytest_hybrid_eval.analysis.hybrid_coding_eval_summary import summarize_hybrid_coding_eval
from pytest_hybrid_eval.analysis.intervals import group_intervals
from pytest_hybrid_eval.analysis.merge import SPLIT_COLUMN, check_provenance, configured_margin, load_sweeps
from pytest_hybrid_eval.analysis.power import power_rows
from pytest_hybrid_eval.analysis.token_budget import budget_markdown, token_budget
from pytest_hybrid_eval.errors import ResultsError
from pytest_hybrid_eval.pricing import DEFAULT_TABLE, PricingTable, load_table
from pytest_hybrid_eval.store import hybrid_coding_eval
from pytest_hybrid_eval.store.layout import SweepDir


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return json.loads(df.to_json(orient="records"))


def _dump(path: Path, obj: Any) -> Path:
    path.write_text(json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
    return path


def _by_list(by: str | Sequence[str] | None) -> list[str]:
    """Extra grouping columns; by default the matrix and comparisons are per (class, agent)."""
    if by is None:
        return ["task_class"]
    return [b.strip() for b in by.split(",") if b.strip()] if isinstance(by, str) else list(by)


def analyze(
    dir: Path | str,
    by: str | Sequence[str] | None = None,
    out: Path | str | None = None,
    n_resamples: int = 10_000,
    pricing: str | PricingTable = DEFAULT_TABLE,
    scenario: str = "gpt-5.5",
    scenarios: Sequence[str] | None = None,
    frame: pd.DataFrame | None = None,
    margin: float | None = None,
    allow_mixed: bool = False,
) -> Path:
    """Analyse the rows under ``dir`` and write everything to ``out`` (default DIR/analysis/).

    ``by`` adds columns (e.g. "task_class") that split the decision matrix and comparisons further.
    ``frame`` lets a caller that already holds the flat frame (from ``merge.load_sweeps``) skip re-reading
    the files. ``margin`` (default: the sweep's ``analysis.margin``) is the non-inferiority margin; rows of
    mixed provenance are refused unless ``allow_mixed``, and then decision groups are split by model.
    """
    dir = Path(dir)
    table = pricing if isinstance(pricing, PricingTable) else load_table(pricing)
    primary = table.resolve(scenario)
    scen = [table.resolve(s) for s in (scenarios or table.scenario_names)]
    df = load_sweeps(dir) if frame is None else frame
    if df.empty:
        raise ResultsError(f"{dir}: no rows to analyse; run a sweep first")
    df, split = check_provenance(df, allow_mixed, str(dir))
    margin = configured_margin(dir) if margin is None else margin
    extra = _by_list(by)
    missing = [c for c in extra if c not in df.columns]
    if missing:
        raise ResultsError(
            f"--by {','.join(missing)}: not a result column; try task_class, family or difficulty"
        )
    df = add_costs(df, table, scen, primary)
    base = Path(out) if out is not None else SweepDir(dir if dir.is_dir() else dir.parent).analysis
    (base / "charts").mkdir(parents=True, exist_ok=True)
    note = charts.backend_note(df)
    label_keys = [*([SPLIT_COLUMN] if split else []), "agent", *extra]
    keys = [*label_keys, "strategy"]

    agg = aggregate(df, keys)
    pooled = aggregate(df.assign(agent=ALL_AGENTS), keys) if df["agent"].nunique() > 1 else agg.iloc[0:0]
    agg_all = pd.concat([agg, pooled], ignore_index=True)
    ivs = group_intervals(df, keys, n_resamples)
    if len(pooled):
        ivs += group_intervals(df.assign(agent=ALL_AGENTS), keys, n_resamples)
    iv_map = {tuple(e[k] for k in keys): e for e in ivs}
    comps = compare_strategies(df, label_keys, min(n_resamples, 4_000))
    decisions = decide(agg_all, comps, label_keys, iv_map, df, margin, min(n_resamples, 4_000))

    written: dict[str, Path] = {}
    written["aggregate"] = _dump(
        base / "aggregate.json",
        {"groups": _records(agg_all), "cells": _records(cell_table(df)), "keys": keys, "scenario": primary},
    )
    written["intervals"] = _dump(base / "intervals.json", {"keys": keys, "groups": ivs})
    written["comparisons"] = _dump(base / "comparisons.json", comps)
    (base / "comparisons.md").write_text(comparisons_markdown(comps, label_keys, note), encoding="utf-8")
    _dump(base / "decisions.json", decisions)
    matrix_md = matrix_markdown(decisions, label_keys, note, primary)
    (base / "decision_matrix.md").write_text(matrix_md, encoding="utf-8")
    tb = token_budget(df, ["strategy"] + (["agent"] if df["agent"].nunique() > 1 else []), scen)
    tb.to_csv(base / "token_budget.csv", index=False)
    budget_md = budget_markdown(tb, [c for c in ("strategy", "agent") if c in tb.columns], scen, note)
    (base / "token_budget.md").write_text(budget_md, encoding="utf-8")
    power = power_rows(decisions, df, label_keys)
    _dump(base / "power.json", power)
    if df["source_format"].isin([hybrid_coding_eval.EARLY, hybrid_coding_eval.LATE]).any():
        summarize_hybrid_coding_eval(df, table, scen).to_csv(base / "hybrid_coding_eval_summary.csv", index=False)

    chart_ivs = iv_map if not extra and not split else None  # else charts need (agent, strategy) intervals anew
    pngs = _charts(df, note, base / "charts", primary, n_resamples, chart_ivs)
    prov = _provenance(df, table, primary, n_resamples, dir)
    _dump(base / "provenance.json", prov)
    html_text = _html(
        note, matrix_md, comparisons_markdown(comps, label_keys, note), budget_md, power, pngs, prov
    )
    (base / "report.html").write_text(html_text, encoding="utf-8")
    return base


def _charts(
    df: pd.DataFrame, note: str, out: Path, scenario: str, n: int, ivs: dict[tuple, Any] | None
) -> list[Path]:
    """Charts are per (agent, strategy) regardless of ``by``."""
    keys = ["agent", "strategy"]
    flat = aggregate(df, keys)
    if ivs is None:
        ivs = {(e["agent"], e["strategy"]): e for e in group_intervals(df, keys, n)}
    by_class = aggregate(df, ["task_class", "agent", "strategy"])
    return [
        charts.pareto_chart(flat, ivs, note, out / "pareto.png", scenario),
        charts.heatmaps(by_class, "pass_rate", "Pass rate", ".2f", note, out / "heatmap_pass_rate.png"),
        charts.heatmaps(
            by_class,
            "cost_mean",
            f"Mean cost per cell, USD ({scenario})",
            ".3f",
            note,
            out / "heatmap_cost.png",
        ),
        charts.cloud_share_chart(flat, ivs, note, out / "cloud_share.png"),
    ]


def _provenance(df: pd.DataFrame, table: PricingTable, scenario: str, n: int, src: Path) -> dict[str, Any]:
    return {
        "source": str(src),
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "package_version": __version__,
        "rows": len(df),
        "sweeps": sorted(_uniq(df["sweep"])),
        "source_formats": sorted(_uniq(df["source_format"])),
        "backends": sorted(_uniq(df["backend"])),
        "models": sorted(_uniq(df["models"]))[:50],
        "config_shas": sorted(_uniq(df["config_sha"]) - {""})[:50],
        "row_pricing_shas": sorted(_uniq(df["pricing_sha"]) - {""})[:50],
        "pricing_table": {
            "path": table.path,
            "sha256": table.sha256,
            "version": table.version,
            "effective_date": table.effective_date,
        },
        "primary_scenario": scenario,
        "n_resamples": n,
        "errors": {str(k): int(v) for k, v in df["error"].value_counts().items()},
        "ungraded_rows": int((~df["graded"]).sum()),
    }


def _uniq(col: pd.Series) -> set[str]:
    return {str(x) for x in col.unique()}


def _md_to_html(md: str) -> str:
    """Just enough Markdown for our own files: headings, paragraphs, pipe tables, **bold**."""
    out: list[str] = []
    table: list[list[str]] = []

    def inline(s: str) -> str:
        return re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", html.escape(s))

    def flush() -> None:
        if table:
            head, *body = table
            out.append("<table><tr>" + "".join(f"<th>{inline(c)}</th>" for c in head) + "</tr>")
            out.extend("<tr>" + "".join(f"<td>{inline(c)}</td>" for c in r) + "</tr>" for r in body)
            out.append("</table>")
            table.clear()

    for line in md.splitlines():
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if not all(re.fullmatch(r"-+", c) for c in cells if c):
                table.append(cells)
            continue
        flush()
        if line.startswith("#"):
            level = min(6, len(line) - len(line.lstrip("#")) + 1)
            out.append(f"<h{level}>{inline(line.lstrip('#').strip())}</h{level}>")
        elif line.strip():
            out.append(f"<p>{inline(line)}</p>")
    flush()
    return "\n".join(out)


def _html(
    note: str,
    matrix_md: str,
    comps_md: str,
    budget_md: str,
    power: list[dict[str, Any]],
    pngs: list[Path],
    prov: dict[str, Any],
) -> str:
    imgs = "\n".join(
        f'<figure><img alt="{html.escape(p.stem)}" src="data:image/png;base64,'
        f'{base64.b64encode(p.read_bytes()).decode("ascii")}"><figcaption>{html.escape(p.stem)}</figcaption></figure>'
        for p in pngs
    )
    power_rows_html = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in r.values()) + "</tr>" for r in power
    )
    power_head = "".join(f"<th>{html.escape(k)}</th>" for k in (power[0] if power else {}))
    style = (
        "body{font-family:sans-serif;max-width:1200px;margin:auto;padding:1em}"
        "table{border-collapse:collapse;font-size:12px;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 6px}"
        "img{max-width:100%}.warn{background:#fff3cd;padding:.5em;border:1px solid #e0c060}"
    )
    warn = f'<p class="warn">All figures {html.escape(note)}.</p>'
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>pytest-hybrid-eval report</title>"
        f"<style>{style}</style></head><body><h1>pytest-hybrid-eval report</h1>{warn}"
        f"{_md_to_html(matrix_md)}<h2>Charts</h2>{imgs}{_md_to_html(comps_md)}{_md_to_html(budget_md)}"
        f"<h2>Power</h2><p>Per decision group, from its own tasks and seeds per task, with task difficulty "
        f"varying as estimated from its rows: the tasks a normal approximation says are needed to show a drop "
        f"from the best strategy's rate at the decision rule's own one-sided level (alpha/(k-1), Bonferroni "
        f"over the group's comparisons; power 0.8); the smallest drop that approximation calls detectable; "
        f"the power the actual decision rule achieves at that drop on simulated sweeps of this design (equal "
        f"arms drawn independently within each task); and the non-inferiority margin the rule shows 80% of "
        f"the time when the strategies are truly equal.</p>"
        f"<table><tr>{power_head}</tr>{power_rows_html}</table>"
        f"<h2>Provenance</h2><pre>{html.escape(json.dumps(prov, indent=2, default=str))}</pre></body></html>"
    )
