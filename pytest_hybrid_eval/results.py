"""The Row schema (one per cell), the single-writer RowWriter and the tolerant reader.

Only the controller writes ``raw.jsonl``: one ``write`` of a whole line, flush and fsync per row, under a
file lock, so a crash loses at most the cells in flight and never leaves a torn line behind it (a torn
last line from an earlier crash is repaired before appending).
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Literal

from filelock import FileLock
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pytest_hybrid_eval.errors import ResultsError
from pytest_hybrid_eval.routing.records import CallRecord, TokenCounts

SCHEMA_VERSION = 1

ErrorClass = Literal[
    "none",
    "agent_error",
    "agent_timeout",
    "not_installed",
    "infra_error",
    "backend_error",
    "score_error",
    "budget_exhausted",
    "forged",  # the candidate tampered with its verdict (scoring.pytest_scorer): a failure, never infrastructure
]


class RowTokens(BaseModel):
    model_config = ConfigDict(extra="forbid")

    local: TokenCounts = TokenCounts()
    cloud: TokenCounts = TokenCounts()
    aux: TokenCounts = Field(default=TokenCounts(), description="Strategy auxiliary calls (classifier, embedding).")


class RowCalls(BaseModel):
    model_config = ConfigDict(extra="forbid")

    local: int = 0
    cloud: int = 0
    aux: int = 0
    failed: int = 0
    records: list[CallRecord] = Field(default_factory=list)


class Provenance(BaseModel):
    """Everything needed to say what produced a row."""

    model_config = ConfigDict(extra="forbid")

    config_sha: str
    pricing_sha: str
    router_data_sha: str = ""
    backend: Literal["scripted", "live", "replay"]
    local_model: str
    cloud_model: str
    local_backend: str
    cloud_backend: str
    agent_version: str = ""
    sandbox_kind: str = ""
    sandbox_isolated: bool = True
    package_version: str
    git_sha: str = ""
    hardware_ref: str = ""
    python: str = ""


class Row(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_version: int = SCHEMA_VERSION
    sweep: str
    cell_id: str
    task_id: str
    task_class: str
    family: str
    difficulty: str
    agent: str
    strategy: str
    seed: int
    passed: bool
    tests_passed: int = 0
    tests_total: int = 0
    error: ErrorClass = "none"
    reason: str | None = None
    scorer: str = "pytest"
    tokens: RowTokens = RowTokens()
    calls: RowCalls = RowCalls()
    wall_ms: float = 0.0
    agent_ms: float = 0.0
    score_ms: float = 0.0
    agent_turns: int = 0
    agent_extra: dict[str, str] = Field(
        default_factory=dict, description="What the agent adapter reported: sandboxed, exit code, its own status."
    )
    provenance: Provenance
    started_at: datetime
    finished_at: datetime

    @property
    def finished_ok(self) -> bool:
        """A finished row: it counts as done on resume (error rows are retried)."""
        return self.error == "none"


class RowWriter:
    """Append-only, one line per row, durable before returning."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = FileLock(str(self.path) + ".lock")
        with self._lock:
            self._repair_torn_tail()

    def _repair_torn_tail(self) -> None:
        if not self.path.exists() or self.path.stat().st_size == 0:
            return
        with self.path.open("rb+") as fh:
            fh.seek(-1, os.SEEK_END)
            if fh.read(1) == b"\n":
                return
            data = self.path.read_bytes()
            cut = data.rfind(b"\n") + 1  # 0 when the only line is torn
            fh.truncate(cut)
            fh.flush()
            os.fsync(fh.fileno())

    def append(self, row: Row) -> None:
        line = row.model_dump_json() + "\n"
        with self._lock, self.path.open("a", encoding="utf-8") as fh:
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())


class ReadReport(BaseModel):
    rows: list[Row]
    torn_last_line: bool = False
    duplicates: int = 0


def read_rows(path: Path | str, dedupe: bool = True) -> ReadReport:
    """Read raw.jsonl; a torn *last* line is tolerated and reported, a bad line elsewhere is an error.

    With ``dedupe``, the last row of each cell wins (a resumed sweep appends a retry after an error row).
    """
    path = Path(path)
    if path.is_dir():
        path = path / "raw.jsonl"
    if not path.exists():
        raise ResultsError(f"{path}: no raw.jsonl here; run a sweep first or pass the sweep directory")
    lines = path.read_text(encoding="utf-8").split("\n")
    torn = False
    rows: list[Row] = []
    for i, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            rows.append(Row.model_validate_json(line))
        except ValidationError as exc:
            if i == len(lines):  # the last line has no newline: a write torn by a crash
                torn = True
                continue
            err = exc.errors()[0]
            field = ".".join(str(x) for x in err["loc"]) or "(line)"
            raise ResultsError(f"{path}:{i}: field '{field}': {err['msg']}; fix or remove that line") from None
    dupes = 0
    if dedupe:
        latest: dict[str, Row] = {}
        for r in rows:
            if r.cell_id in latest:
                dupes += 1
            latest[r.cell_id] = r
        rows = list(latest.values())
    return ReadReport(rows=rows, torn_last_line=torn, duplicates=dupes)


def finished_cells(path: Path | str, keep_errors: bool = False) -> dict[str, Row]:
    """Resume index: cell id -> its finished row (error rows count only with ``keep_errors``)."""
    path = Path(path)
    if not (path / "raw.jsonl" if path.is_dir() else path).exists():
        return {}
    return {r.cell_id: r for r in read_rows(path).rows if keep_errors or r.finished_ok}
