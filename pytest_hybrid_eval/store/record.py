"""sweep.json: the typed ``SweepRecord`` the controller writes at start, and its one reader.

The record says what a sweep directory holds: the config (and its sha, which every row's provenance
repeats), the pricing table, the selected tasks, the command line and the machine's manifest. ``status``
counts expected cells from it, ``rescore``/``rejudge`` rebuild the sweep's config and task roots from it,
and a new run refuses a directory whose record names another config. A broken record is one line
naming the file and the fix, whoever reads it.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_serializer

from pytest_hybrid_eval.config import SweepConfig
from pytest_hybrid_eval.errors import ResultsError
from pytest_hybrid_eval.store.layout import RECORD, SweepDir, unwritable


class SweepRecord(BaseModel):
    """The content of sweep.json; fields a future version adds are ignored, never an error."""

    model_config = ConfigDict(extra="ignore")

    config_sha: str
    config: SweepConfig
    started_at: datetime  # the latest (re)start; a resumed sweep began at its earliest row
    pricing_table: str = ""
    pricing_sha: str = ""
    package_version: str = ""
    git_sha: str = ""
    argv: list[str] = []
    tasks: list[str] = []  # the selected task ids: expected cells = tasks × agents × strategies × seeds
    manifest: dict[str, Any] = {}

    @field_serializer("started_at")
    def _iso(self, value: datetime) -> str:
        return value.isoformat()

    def expected_cells(self) -> int:
        cfg = self.config
        return len(self.tasks) * len(cfg.agents) * len(cfg.strategies) * len(cfg.seeds)


class _RecordSha(BaseModel):
    """Only the config sha, for the guard against mixing configs in one directory."""

    config_sha: str


_FIX = "pass the output directory of a sweep this version wrote"


def write_record(sweep: SweepDir, record: SweepRecord) -> None:
    """Replace sweep.json atomically (a reader never sees half a record)."""
    tmp = sweep.sweep_json.with_suffix(".json.tmp")
    text = json.dumps(record.model_dump(mode="json"), indent=2, sort_keys=True) + "\n"
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(sweep.sweep_json)
    except OSError as exc:
        raise unwritable(sweep.path, exc) from None


def read_record(sweep: SweepDir) -> SweepRecord:
    """The sweep's record; a missing, unreadable or invalid sweep.json is a one-line ``ResultsError``."""
    path = sweep.sweep_json
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ResultsError(f"{sweep.path}: no {RECORD} here; pass the sweep's output directory "
                           "(results/runs/<name>, it holds raw.jsonl and sweep.json)") from None
    except OSError as exc:
        raise ResultsError(f"{path}: not a readable {RECORD} ({exc.strerror or type(exc).__name__}); {_FIX}") from None
    try:
        return SweepRecord.model_validate_json(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err["loc"])
        what = f"field '{where}': {err['msg']}" if where else err["msg"]
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise ResultsError(f"{path}: not a readable {RECORD} ({what}{more}); {_FIX}") from None


def recorded_config_sha(sweep: SweepDir) -> str | None:
    """The config sha sweep.json names, or None when there is no record or it cannot be read.

    Deliberately lenient: it only guards a new run against appending to another config's rows, and reads
    the sha even from a record whose config this version no longer validates (which is then a different
    config, and refused).
    """
    try:
        return _RecordSha.model_validate_json(sweep.sweep_json.read_bytes()).config_sha or None
    except (OSError, ValidationError):
        return None
