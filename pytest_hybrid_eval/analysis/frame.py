"""Load sweep results into one flat DataFrame, one row per cell, whatever format wrote them.

Every later step (aggregates, intervals, charts) works on these flat columns only, so our Row schema and
the seed project's two row formats are reconciled here, once. Nothing is dropped: error rows stay and
count as failures; ungraded seed rows stay (for cost) with ``graded`` False.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pytest_hybrid_eval.analysis.seed_format import is_seed_record, seed_records_to_dicts
from pytest_hybrid_eval.errors import ResultsError
from pytest_hybrid_eval.pricing import PricingTable, cost_from_counts
from pytest_hybrid_eval.results import Row, read_rows

TIERS = ("local", "cloud", "aux")
TOKEN_KINDS = ("prompt", "completion", "cached", "reasoning")
# Errors that say nothing about the agent/strategy: the "excluding infra errors" column leaves them out.
INFRA_ERRORS = frozenset({"infra_error", "backend_error", "score_error"})

COLUMNS: list[str] = [
    "sweep",
    "cell_id",
    "task_id",
    "task_class",
    "family",
    "difficulty",
    "agent",
    "strategy",
    "seed",
    "passed",
    "graded",
    "error",
    "reason",
    "tests_passed",
    "tests_total",
    *[f"{t}_{k}" for t in TIERS for k in TOKEN_KINDS],
    *[f"auxcloud_{k}" for k in ("prompt", "completion", "cached")],
    "calls_local",
    "calls_cloud",
    "calls_aux",
    "calls_failed",
    "wall_ms",
    "agent_ms",
    "backend",
    "local_model",
    "cloud_model",
    "models",
    "pricing_sha",
    "config_sha",
    "started_at",
    "source_format",
]


def row_to_dict(row: Row) -> dict[str, Any]:
    """Flatten one of our rows; auxiliary calls that ran on the cloud tier are kept apart for pricing."""
    d: dict[str, Any] = {
        "sweep": row.sweep,
        "cell_id": row.cell_id,
        "task_id": row.task_id,
        "task_class": row.task_class,
        "family": row.family,
        "difficulty": row.difficulty,
        "agent": row.agent,
        "strategy": row.strategy,
        "seed": row.seed,
        "passed": bool(row.passed) and row.error == "none",
        "graded": True,
        "error": row.error,
        "reason": row.reason or "",
        "tests_passed": row.tests_passed,
        "tests_total": row.tests_total,
        "calls_local": row.calls.local,
        "calls_cloud": row.calls.cloud,
        "calls_aux": row.calls.aux,
        "calls_failed": row.calls.failed,
        "wall_ms": row.wall_ms,
        "agent_ms": row.agent_ms,
        "backend": row.provenance.backend,
        "local_model": row.provenance.local_model,
        "cloud_model": row.provenance.cloud_model,
        "models": f"{row.provenance.local_model}+{row.provenance.cloud_model}",
        "pricing_sha": row.provenance.pricing_sha,
        "config_sha": row.provenance.config_sha,
        "started_at": row.started_at.isoformat(),
        "source_format": "row",
    }
    for tier in TIERS:
        tc = getattr(row.tokens, tier)
        for kind in TOKEN_KINDS:
            d[f"{tier}_{kind}"] = getattr(tc, kind)
    aux_cloud = {"prompt": 0, "completion": 0, "cached": 0}
    for rec in row.calls.records:
        for aux in rec.aux:
            if aux.tier == "cloud":
                aux_cloud["prompt"] += aux.usage.prompt
                aux_cloud["completion"] += aux.usage.completion
                aux_cloud["cached"] += aux.usage.cached
    for k, v in aux_cloud.items():
        d[f"auxcloud_{k}"] = v
    return d


def _sweep_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if (path / "raw.jsonl").is_file():
        return [path / "raw.jsonl"]
    if path.is_dir():
        found = sorted(p / "raw.jsonl" for p in path.iterdir() if (p / "raw.jsonl").is_file())
        if found:
            return found
    raise ResultsError(
        f"{path}: no raw.jsonl here or in its sub-folders; pass a sweep directory or a raw.jsonl"
    )


def _first_record(path: Path) -> dict[str, Any] | None:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError:
                    return None
                return obj if isinstance(obj, dict) else None
    return None


def _load_seed_file(path: Path) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    lines = path.read_text(encoding="utf-8").split("\n")
    for i, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            if all(not rest.strip() for rest in lines[i:]):
                continue  # a torn last line, as results.read_rows tolerates
            raise ResultsError(f"{path}:{i}: not valid JSON; fix or remove that line") from None
    return seed_records_to_dicts(records, sweep=path.parent.name)


def load(path: Path | str) -> pd.DataFrame:
    """A sweep dir, a raw.jsonl, or a folder of sweeps → one flat DataFrame (columns: ``COLUMNS``).

    Our rows are read with ``results.read_rows`` (last row per cell wins, as on resume); seed-format files
    are detected by their fields and converted by ``seed_format``.
    """
    dicts: list[dict[str, Any]] = []
    for f in _sweep_files(Path(path)):
        first = _first_record(f)
        if first is not None and is_seed_record(first):
            dicts.extend(_load_seed_file(f))
        else:
            dicts.extend(row_to_dict(r) for r in read_rows(f).rows)
    return to_frame(dicts)


def rows_frame(rows: list[Row]) -> pd.DataFrame:
    """The same frame from in-memory rows (tests, the plugin's end-of-session summary)."""
    return to_frame([row_to_dict(r) for r in rows])


def to_frame(dicts: list[dict[str, Any]]) -> pd.DataFrame:
    df = pd.DataFrame(dicts, columns=COLUMNS)
    int_cols = [
        *[f"{t}_{k}" for t in TIERS for k in TOKEN_KINDS],
        *[f"auxcloud_{k}" for k in ("prompt", "completion", "cached")],
        *[f"calls_{t}" for t in ("local", "cloud", "aux", "failed")],
        "tests_passed",
        "tests_total",
    ]
    df[int_cols] = df[int_cols].fillna(0).astype(np.int64)
    df["passed"] = df["passed"].fillna(False).astype(bool)
    df["graded"] = df["graded"].fillna(True).astype(bool)
    df["error"] = df["error"].fillna("none").astype(str)
    df["infra_error"] = df["error"].isin(INFRA_ERRORS)
    local_tok = df["local_prompt"] + df["local_completion"]
    cloud_tok = df["cloud_prompt"] + df["cloud_completion"]
    total = local_tok + cloud_tok
    df["cloud_share"] = np.where(total > 0, cloud_tok / total.where(total > 0, 1), 0.0)
    return df


def add_costs(df: pd.DataFrame, table: PricingTable, scenarios: list[str], primary: str) -> pd.DataFrame:
    """Add ``cost__<scenario>`` per scenario and ``cost`` (the primary scenario), USD per cell.

    Cloud tokens and cloud-tier auxiliary tokens are priced; local tokens are free. Cached tokens are
    capped at the prompt count, as in ``PricingTable.cost``.
    """
    out = df.copy()
    for sc in dict.fromkeys([primary, *scenarios]):
        price = table.price(sc)
        cost = np.zeros(len(out))
        for prefix in ("cloud", "auxcloud"):
            prompt = out[f"{prefix}_prompt"].to_numpy(dtype=float)
            cached = np.clip(out[f"{prefix}_cached"].to_numpy(dtype=float), 0, prompt)
            completion = out[f"{prefix}_completion"].to_numpy(dtype=float)
            cost += cost_from_counts(prompt, completion, cached, price)
        out[f"cost__{table.resolve(sc)}"] = cost
    out["cost"] = out[f"cost__{table.resolve(primary)}"]
    return out
