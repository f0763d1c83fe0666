"""`hybrid-eval status DIR`: how far a sweep is, readable while it runs (it only reads files)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from pytest_hybrid_eval.pricing import load_table
from pytest_hybrid_eval.routing.budget import recorded_spend
from pytest_hybrid_eval.store.layout import SweepDir
from pytest_hybrid_eval.store.record import read_record
from pytest_hybrid_eval.store.rows import latest_per_cell, read_all_rows


def sweep_status(out_dir: Path) -> dict:
    sweep = SweepDir(out_dir)
    record = read_record(sweep)
    cfg, sha, started = record.config, record.config_sha, record.started_at
    expected = record.expected_cells()
    report = read_all_rows(sweep)
    every_row = report.rows if report else []
    rows = [r for r in latest_per_cell(every_row) if r.provenance.config_sha == sha]
    table = load_table(cfg.pricing.table)
    # sweep.json's started_at is the latest (re)start; a resumed sweep began at its earliest row
    first = min((r.started_at for r in rows), default=started)
    last = max((r.finished_at for r in rows), default=started)
    elapsed = (last - min(first, started)).total_seconds()
    done = len(rows)
    per_cell = sum(r.wall_ms for r in rows) / 1000 / done if done else None
    return {
        "sweep": cfg.name,
        "config_sha": sha,
        "done": done,
        "expected": expected,
        "passed": sum(r.passed for r in rows),
        "failed": sum(not r.passed and r.error == "none" for r in rows),
        "errors": sum(r.error != "none" for r in rows),
        # money is spent by every row, superseded retries included: the figure the sweep's cap counts
        "cloud_usd": recorded_spend(every_row, table, cfg.pricing.primary),
        "cap_usd": cfg.budget.max_cloud_usd,
        "scenario": cfg.pricing.primary,
        "elapsed_s": elapsed,
        "since_last_row_s": (datetime.now(UTC) - last).total_seconds(),
        "eta_s": per_cell * max(expected - done, 0) if per_cell is not None else None,
        "torn_last_line": bool(report and report.torn_last_line),
    }


def format_status(s: dict) -> list[str]:
    eta = "unknown" if s["eta_s"] is None else f"{s['eta_s'] / 60:.1f} min (sequential estimate)"
    lines = [
        f"sweep {s['sweep']} (config {s['config_sha'][:12]})",
        f"cells   {s['done']}/{s['expected']} done — {s['passed']} passed, {s['failed']} failed, {s['errors']} errors",
        f"cloud   ${s['cloud_usd']:.4f} so far under {s['scenario']}"
        + (f" (cap ${s['cap_usd']:.4f}, budget.max_cloud_usd)" if s.get("cap_usd") is not None else ""),
        f"time    {s['elapsed_s'] / 60:.1f} min elapsed, last row {s['since_last_row_s']:.0f} s ago, ETA {eta}",
    ]
    if s["torn_last_line"]:
        lines.append("note    the last line of raw.jsonl is torn (a crash mid-write); the next run repairs it")
    return lines
