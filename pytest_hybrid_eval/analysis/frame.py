"""Load sweep results into one flat DataFrame, one row per cell, whatever format wrote them.

Every later step (aggregates, intervals, charts) works on these flat columns only, so our Row schema and
the two row formats of hybrid-coding-eval (the predecessor project) are reconciled here, once. The files
are read by the store (``store.rows``, ``store.hybrid_coding_eval``). Nothing is dropped: error rows stay
and count as failures; ungraded hybrid-coding-eval rows stay (for cost) with ``graded`` False.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pytest_hybrid_eval.pricing import PricingTable, cost_from_counts
from pytest_hybrid_eval.results import INFRA_ERRORS, Row
from pytest_hybrid_eval.store import hybrid_coding_eval
from pytest_hybrid_eval.store.layout import results_files
from pytest_hybrid_eval.store.rows import read_rows

# INFRA_ERRORS (errors that say nothing about the agent/strategy; the "excluding infra errors" column leaves
# them out) is defined once, in results, where resume uses it too.

TIERS = ("local", "cloud", "aux", "scoring")  # scoring: the LLM judge's tokens, priced apart (scoring_cost)
TOKEN_KINDS = ("prompt", "completion", "cached", "reasoning")

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
    """Flatten one of our rows (in memory)."""
    return flatten_row(row.model_dump(mode="json"))


def flatten_row(r: dict[str, Any]) -> dict[str, Any]:
    """Flatten one row as parsed from raw.jsonl; auxiliary calls on the cloud tier are kept apart for pricing.

    Works on the JSON dict rather than a validated ``Row`` because pydantic validation of 100k rows costs
    more than the whole analysis; required fields are still looked up strictly (KeyError on a bad row).
    """
    prov = r["provenance"]
    calls = r.get("calls") or {}
    tokens = r.get("tokens") or {}
    err = str(r.get("error") or "none")
    d: dict[str, Any] = {
        "sweep": r["sweep"],
        "cell_id": r["cell_id"],
        "task_id": r["task_id"],
        "task_class": r["task_class"],
        "family": r["family"],
        "difficulty": r.get("difficulty", ""),
        "agent": r["agent"],
        "strategy": r["strategy"],
        "seed": int(r["seed"]),
        "passed": bool(r["passed"]) and err == "none",
        "graded": True,
        "error": err,
        "reason": r.get("reason") or "",
        "tests_passed": int(r.get("tests_passed", 0)),
        "tests_total": int(r.get("tests_total", 0)),
        "calls_local": int(calls.get("local", 0)),
        "calls_cloud": int(calls.get("cloud", 0)),
        "calls_aux": int(calls.get("aux", 0)),
        "calls_failed": int(calls.get("failed", 0)),
        "wall_ms": float(r.get("wall_ms", 0.0)),
        "agent_ms": float(r.get("agent_ms", 0.0)),
        "backend": prov["backend"],
        "local_model": prov.get("local_model", ""),
        "cloud_model": prov.get("cloud_model", ""),
        "models": f"{prov.get('local_model', '')}+{prov.get('cloud_model', '')}",
        "pricing_sha": prov.get("pricing_sha", ""),
        "config_sha": prov.get("config_sha", ""),
        "started_at": str(r["started_at"]),
        "source_format": "row",
    }
    for tier in TIERS:
        tc = tokens.get(tier) or {}
        for kind in TOKEN_KINDS:
            d[f"{tier}_{kind}"] = int(tc.get(kind, 0))
    aux_cloud = {"prompt": 0, "completion": 0, "cached": 0}
    for rec in calls.get("records") or []:
        for aux in rec.get("aux") or []:
            if aux.get("tier") == "cloud":
                usage = aux.get("usage") or {}
                for k in aux_cloud:
                    aux_cloud[k] += int(usage.get(k, 0))
    for k, v in aux_cloud.items():
        d[f"auxcloud_{k}"] = v
    return d


def load(path: Path | str) -> pd.DataFrame:
    """A sweep dir, a raw.jsonl, or a folder of sweeps → one flat DataFrame (columns: ``COLUMNS``).

    Our rows come through ``store.rows.read_rows``, the one reader: every line is validated against the
    Row schema (a bad line is refused with the same line-numbered error as status and resume), a torn
    last line is skipped and the last row per cell wins, as on resume. Files of hybrid-coding-eval are
    recognised by their fields and converted by ``store.hybrid_coding_eval``.
    """
    dicts: list[dict[str, Any]] = []
    for f in results_files(path):
        if hybrid_coding_eval.is_file(f):
            dicts.extend(hybrid_coding_eval.read_file(f))
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
    # what judging cost (the LLM judge runs on the cloud tier): its own column, never part of routing cost
    price = table.price(primary)
    prompt = out["scoring_prompt"].to_numpy(dtype=float)
    out["scoring_cost"] = cost_from_counts(prompt, out["scoring_completion"].to_numpy(dtype=float),
                                           np.clip(out["scoring_cached"].to_numpy(dtype=float), 0, prompt), price)
    return out
