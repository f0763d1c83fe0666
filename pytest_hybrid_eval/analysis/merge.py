"""Merging sweeps without lying: one sweep id per (folder, config), provenance checked, pairs unique.

Two sweeps called "smoke" used to share a sweep id, so their rows paired with each other, duplicate pairs
were averaged and a local skill of 0.15 pooled with one of 0.8 gave a recommendation no data supported.
Here the sweep id is the folder the rows came from plus the config hash; rows from different configs,
model sets or pricing tables are refused in one line unless the caller allows mixing — and then the
decision groups are split by model (and by config where one model set ran under several configs).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from pytest_hybrid_eval.analysis.frame import load
from pytest_hybrid_eval.errors import ResultsError
from pytest_hybrid_eval.store.layout import SweepDir, results_files
from pytest_hybrid_eval.store.record import read_record

#: The provenance columns that must agree for rows to be pooled, with the words used when they do not.
CHECKED = (("config_sha", "config hashes"), ("model_set", "model sets"), ("pricing_sha", "pricing hashes"))
SPLIT_COLUMN = "model_group"


def sweep_ids(df: pd.DataFrame, folders: pd.Series) -> pd.DataFrame:
    """Sweep id = the folder a row was read from + its config hash (first 12 hex digits)."""
    sha = df["config_sha"].astype(str).str[:12]
    out = df.copy()
    out["sweep"] = folders.astype(str) + "@" + sha.where(sha != "", "noconfig")
    return out


def check_provenance(df: pd.DataFrame, allow_mixed: bool = False, source: str = "") -> tuple[pd.DataFrame, bool]:
    """Refuse mixed provenance (or, with ``allow_mixed``, add a ``model_group`` column to split by) and
    assert one row per (pair key, strategy). Returns the frame and whether groups must be split."""
    assert_unique_pairs(df)
    df = df.assign(model_set=model_set(df))
    # An empty value (provenance not recorded) is a value of its own: rows that recorded a config hash
    # and rows that did not may come from different configs, so pooling them is mixing too.
    mixed = {col: sorted(set(df[col].fillna("").astype(str))) for col, _ in CHECKED}
    bad = [(words, mixed[col]) for col, words in CHECKED if len(mixed[col]) > 1]
    if not bad:
        return df, False
    if not allow_mixed:
        what = "; ".join(
            f"{len(v)} {words} ({', '.join(x[:12] or '(none recorded)' for x in v[:4])})" for words, v in bad
        )
        raise ResultsError(
            f"{source or 'these rows'} mix {what}: pooling them would pair unlike runs; analyse each sweep "
            "on its own, or pass --allow-mixed to split the decision groups by model"
        )
    out = df.copy()
    cfg_per_model = out.groupby("model_set")["config_sha"].transform("nunique")
    out[SPLIT_COLUMN] = out["model_set"].where(
        cfg_per_model <= 1, out["model_set"] + "@" + out["config_sha"].astype(str).str[:12]
    )
    return out, True


def model_set(df: pd.DataFrame) -> pd.Series:
    """The sweep's models (local + cloud) from provenance; empty when unrecorded (hybrid-coding-eval's rows
    name per-call backends instead, which differ by route within one sweep and are not a model set)."""
    local, cloud = df["local_model"].fillna("").astype(str), df["cloud_model"].fillna("").astype(str)
    both = local + "+" + cloud
    return both.where((local != "") | (cloud != ""), "")


def assert_unique_pairs(df: pd.DataFrame) -> None:
    """One row per (sweep, agent, task, seed, strategy): a duplicate would be averaged into a fake pair."""
    key = ["sweep", "agent", "task_id", "seed", "strategy"]
    dup = df.duplicated(key, keep=False)
    if dup.any():
        first: dict[str, Any] = df.loc[dup, key].iloc[0].to_dict()
        raise ResultsError(
            f"{int(dup.sum())} rows share a (sweep, agent, task, seed, strategy) key, e.g. {first}; "
            "each pair must have one row per strategy — remove the duplicates or analyse the sweeps apart"
        )


def load_sweeps(path: Path | str) -> pd.DataFrame:
    """Every raw.jsonl under ``path`` through ``frame.load``, each row's sweep id set from its folder and
    config hash (``sweep_ids``) — so two folders never share an id, even when their configs share a name."""
    parts = []
    for f in results_files(path):
        df = load(f)
        parts.append(sweep_ids(df, pd.Series([f.parent.name] * len(df), index=df.index, dtype=str)))
    return pd.concat(parts, ignore_index=True) if parts else load(path)


def configured_margin(path: Path | str, default: float = 0.05) -> float:
    """``analysis.margin`` from the sweep record of ``path`` (a sweep dir or its raw.jsonl), else ``default``
    (a folder of sweeps, or rows without a readable sweep.json: the margin is then the caller's choice)."""
    p = Path(path)
    try:
        record = read_record(SweepDir(p if p.is_dir() else p.parent))
    except ResultsError:
        return default
    return record.config.analysis.margin or default
