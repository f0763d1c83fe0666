"""The Row schema (one per cell), the single-writer RowWriter and the tolerant reader.

Only the controller writes ``raw.jsonl``: one ``write`` of a whole line, flush and fsync per row, under a
file lock, so a crash loses at most the cells in flight and never leaves a torn line behind it (a torn
last line from an earlier crash is repaired before appending).
"""

from __future__ import annotations

import json
import os
from contextlib import suppress
from datetime import datetime
from pathlib import Path
from typing import Literal

from filelock import FileLock
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pytest_hybrid_eval.errors import ResultsError
from pytest_hybrid_eval.usage import CallRecord, TokenCounts

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

#: Error classes that say nothing about the agent or the strategy: the harness, the model server, the scorer,
#: the spending cap or a missing agent CLI failed. A resume retries these (and only these, by default), and
#: the analysis reports pass rates with and without them. Every other error class is an outcome of the cell.
INFRA_ERRORS: frozenset[str] = frozenset(
    {"infra_error", "backend_error", "score_error", "budget_exhausted", "not_installed"}
)

#: Which recorded error rows a resume runs again: infrastructure errors only (default), all, or none.
RetryErrors = Literal["infra", "all", "none"]


class RowTokens(BaseModel):
    model_config = ConfigDict(extra="forbid")

    local: TokenCounts = TokenCounts()
    cloud: TokenCounts = TokenCounts()
    aux: TokenCounts = Field(default=TokenCounts(), description="Strategy auxiliary calls (classifier, embedding).")
    scoring: TokenCounts = Field(default=TokenCounts(), description="Tokens the scorer spent (the LLM judge): "
                                 "a cost of scoring, never counted as routing cost or cloud share.")


class RowCalls(BaseModel):
    model_config = ConfigDict(extra="forbid")

    local: int = 0
    cloud: int = 0
    aux: int = 0
    failed: int = 0
    records: list[CallRecord] = Field(default_factory=list)
    #: the scorer's own calls (the LLM judge), kept apart from the routed calls of the agent
    scoring: int = 0
    scoring_records: list[CallRecord] = Field(default_factory=list)


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


def unwritable(path: Path, exc: OSError) -> ResultsError:
    """A results folder that is read-only, full or not a folder: one line naming it and the fix."""
    why = exc.strerror or type(exc).__name__
    return ResultsError(f"{path}: cannot write there ({why}); make room or make it a writable folder, "
                        "or pass --hybrid-out DIR")


class RowWriter:
    """Append-only, one line per row, durable before returning.

    A write that fails (disk full, folder made read-only) is undone to the last complete row and raised as
    a one-line ``ResultsError``: the file never keeps half a row.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._lock = FileLock(str(self.path) + ".lock")
            with self._lock:
                self._repair_torn_tail()
        except OSError as exc:
            raise unwritable(self.path.parent, exc) from None

    def _repair_torn_tail(self) -> None:
        """A last line with no newline: keep it if it is a whole row (end it), else cut it off."""
        if not self.path.exists() or self.path.stat().st_size == 0:
            return
        data = self.path.read_bytes()
        if data.endswith(b"\n"):
            return
        cut = data.rfind(b"\n") + 1  # 0 when the only line is torn
        try:
            Row.model_validate_json(data[cut:])
            whole = True
        except ValidationError:
            whole = False
        with self.path.open("rb+") as fh:
            if whole:
                fh.seek(0, os.SEEK_END)
                fh.write(b"\n")
            else:
                fh.truncate(cut)
            fh.flush()
            os.fsync(fh.fileno())

    def append(self, row: Row) -> None:
        line = (row.model_dump_json() + "\n").encode("utf-8")
        try:
            with self._lock:
                self._append_bytes(line)
        except OSError as exc:
            raise unwritable(self.path.parent, exc) from None

    def _append_bytes(self, line: bytes) -> None:
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            start = os.lseek(fd, 0, os.SEEK_END)
            try:
                view = memoryview(line)
                while view:
                    view = view[os.write(fd, view):]
                os.fsync(fd)
            except OSError:
                with suppress(OSError):
                    os.ftruncate(fd, start)  # no half row left behind
                raise
        finally:
            os.close(fd)


class ReadReport(BaseModel):
    rows: list[Row]
    torn_last_line: bool = False
    duplicates: int = 0


def line_error(path: Path, lineno: int, what: str, fix: str = "fix or remove that line") -> ResultsError:
    """The one wording of a bad line, shared by every reader of a results file (ours and the seed's)."""
    return ResultsError(f"{path}:{lineno}: {what}; {fix}")


def jsonl_lines(path: Path) -> tuple[list[tuple[int, bytes]], bool]:
    """The non-blank lines of a JSONL file with their 1-based numbers, and whether its tail is torn.

    A last line with no newline after it is what a crash mid-write leaves; it is returned too (the caller
    decides whether it parses) and reported as possibly torn. Bytes, not text: a line that is not UTF-8 is
    then one line's error instead of a decode error for the whole file.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ResultsError(f"{path}: cannot be read ({exc.strerror or exc}); "
                           "pass a readable raw.jsonl or the sweep directory holding it") from None
    chunks = data.split(b"\n")
    open_tail = bool(chunks) and chunks[-1].strip() != b""
    return [(i, c) for i, c in enumerate(chunks, start=1) if c.strip()], open_tail


def _diagnose(path: Path, lineno: int, line: bytes, exc: ValidationError) -> ResultsError:
    """Say what is wrong with a line that failed validation: encoding, JSON, schema version, or a field."""
    try:
        obj = json.loads(line.decode("utf-8"))
    except UnicodeDecodeError:
        return line_error(path, lineno, "not UTF-8 text")
    except json.JSONDecodeError as jexc:
        return line_error(path, lineno, f"not JSON ({jexc.msg} at column {jexc.colno})")
    if not isinstance(obj, dict):
        return line_error(path, lineno, f"a JSON {type(obj).__name__}, not a row object")
    version = obj.get("schema_version", SCHEMA_VERSION)
    if version != SCHEMA_VERSION:
        return line_error(path, lineno, f"schema_version {version!r}, this version reads {SCHEMA_VERSION}",
                          "analyse it with the plugin version that wrote it, or move that line to another file")
    err = exc.errors()[0]
    field = ".".join(str(x) for x in err["loc"]) or "(line)"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return line_error(path, lineno, f"field '{field}': {err['msg']}{more}")


def read_rows(path: Path | str, dedupe: bool = True) -> ReadReport:
    """The one reader of raw.jsonl (resume, status, budget, analyze): every line is validated as a ``Row``.

    A torn *last* line (no newline after it, as a crash mid-write leaves) is tolerated and reported; any
    other bad line is a ``ResultsError`` naming file, line, what is wrong and the fix, so every command
    refuses a corrupt file the same way instead of each guessing at it. With ``dedupe``, the last row of
    each cell wins (a resumed sweep appends a retry after an error row).
    """
    path = Path(path)
    if path.is_dir():
        path = path / "raw.jsonl"
    if not path.exists():
        raise ResultsError(f"{path}: no raw.jsonl here; run a sweep first or pass the sweep directory")
    lines, open_tail = jsonl_lines(path)
    torn = False
    rows: list[Row] = []
    for n, (lineno, line) in enumerate(lines, start=1):
        try:
            row = Row.model_validate_json(line)
        except ValidationError as exc:
            if open_tail and n == len(lines):  # the last line has no newline: a write torn by a crash
                torn = True
                continue
            raise _diagnose(path, lineno, line, exc) from None
        if row.schema_version != SCHEMA_VERSION:
            raise line_error(path, lineno, f"schema_version {row.schema_version}, this version reads {SCHEMA_VERSION}",
                             "analyse it with the plugin version that wrote it, or move that line to another file")
        rows.append(row)
    latest = latest_per_cell(rows) if dedupe else rows
    return ReadReport(rows=latest, torn_last_line=torn, duplicates=len(rows) - len(latest) if dedupe else 0)


def latest_per_cell(rows: list[Row]) -> list[Row]:
    """The last row of each cell, in the order cells first appear (a retry supersedes an error row)."""
    latest: dict[str, Row] = {}
    for r in rows:
        latest[r.cell_id] = r
    return list(latest.values())


def retried_on_resume(row: Row, retry_errors: RetryErrors = "infra") -> bool:
    """Does a resume run this cell again? Only error rows can be, and by default only infrastructure ones:
    an agent error or timeout is the strategy's outcome, and retrying it would give error-prone strategies
    extra attempts."""
    if row.error == "none" or retry_errors == "none":
        return False
    return retry_errors == "all" or row.error in INFRA_ERRORS


def finished_cells(path: Path | str, retry_errors: RetryErrors = "infra") -> dict[str, Row]:
    """Resume index: cell id -> its recorded row, for every cell a resume does not run again."""
    path = Path(path)
    if not (path / "raw.jsonl" if path.is_dir() else path).exists():
        return {}
    return {r.cell_id: r for r in read_rows(path).rows if not retried_on_resume(r, retry_errors)}
