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
from pytest_hybrid_eval.results import INFRA_ERRORS, Row, jsonl_lines, line_error, read_rows

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


def _read_our_rows(path: Path) -> list[dict[str, Any]]:
    """Our raw.jsonl through ``results.read_rows``, the one reader: every line is validated against the
    Row schema (a row it forbids is refused with the same line-numbered error as status and resume), a
    torn last line is tolerated and the last row per cell wins."""
    return [row_to_dict(r) for r in read_rows(path).rows]


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
    """The first line as a JSON object, or None when it is not one (then our reader names the problem)."""
    try:
        with path.open("rb") as fh:
            first = next((raw for raw in fh if raw.strip()), None)
    except OSError:
        return None  # the reader that follows says why the file cannot be read
    if first is None:
        return None
    try:
        obj = json.loads(first.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return obj if isinstance(obj, dict) else None


def _load_seed_file(path: Path) -> list[dict[str, Any]]:
    """The predecessor's rows: same line splitting, torn-tail tolerance and error wording as ours."""
    records: list[dict[str, Any]] = []
    lines, open_tail = jsonl_lines(path)
    for n, (lineno, line) in enumerate(lines, start=1):
        try:
            records.append(json.loads(line.decode("utf-8")))
        except (UnicodeDecodeError, json.JSONDecodeError):
            if open_tail and n == len(lines):
                continue  # a torn last line, as results.read_rows tolerates
            raise line_error(path, lineno, "not valid JSON") from None
    return seed_records_to_dicts(records, sweep=path.parent.name)


def load(path: Path | str) -> pd.DataFrame:
    """A sweep dir, a raw.jsonl, or a folder of sweeps → one flat DataFrame (columns: ``COLUMNS``).

    Our rows are read with ``results.read_rows`` semantics (last row per cell wins, as on resume; a torn
    last line is skipped); seed-format files are detected by their fields and converted by ``seed_format``.
    """
    dicts: list[dict[str, Any]] = []
    for f in _sweep_files(Path(path)):
        first = _first_record(f)
        if first is not None and is_seed_record(first):
            dicts.extend(_load_seed_file(f))
        else:
            dicts.extend(_read_our_rows(f))
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
