"""raw.jsonl: the single-writer ``RowWriter`` and ``read_rows``, the one reader every consumer uses.

Only the controller writes ``raw.jsonl``: one ``write`` of a whole line, flush and fsync per row, under a
file lock, so a crash loses at most the cells in flight and never leaves a torn line behind it (a torn
last line from an earlier crash is repaired before appending). The Row schema itself is
``pytest_hybrid_eval.results``; this module only moves rows to and from disk.
"""

from __future__ import annotations

import json
import os
from contextlib import suppress
from pathlib import Path

from filelock import FileLock
from pydantic import BaseModel, ValidationError

from pytest_hybrid_eval.errors import ResultsError
from pytest_hybrid_eval.results import SCHEMA_VERSION, RetryErrors, Row, retried_on_resume
from pytest_hybrid_eval.store.jsonl import jsonl_lines, line_error
from pytest_hybrid_eval.store.layout import RAW, SweepDir, unwritable

_OTHER_VERSION_FIX = "analyse it with the plugin version that wrote it, or move that line to another file"


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
                          _OTHER_VERSION_FIX)
    err = exc.errors()[0]
    field = ".".join(str(x) for x in err["loc"]) or "(line)"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return line_error(path, lineno, f"field '{field}': {err['msg']}{more}")


def read_rows(path: Path | str, dedupe: bool = True) -> ReadReport:
    """The one reader of raw.jsonl (resume, status, budget, analyze, rescore): every line is a ``Row``.

    ``path`` is a results file or a sweep directory (its raw.jsonl). A torn *last* line (no newline after
    it, as a crash mid-write leaves) is tolerated and reported; any other bad line is a ``ResultsError``
    naming file, line, what is wrong and the fix, so every command refuses a corrupt file the same way
    instead of each guessing at it. With ``dedupe``, the last row of each cell wins (a resumed sweep
    appends a retry after an error row).
    """
    path = Path(path)
    if path.is_dir():
        path = SweepDir(path).raw
    if not path.exists():
        raise ResultsError(f"{path}: no {RAW} here; run a sweep first or pass the sweep directory")
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
                             _OTHER_VERSION_FIX)
        rows.append(row)
    latest = latest_per_cell(rows) if dedupe else rows
    return ReadReport(rows=latest, torn_last_line=torn, duplicates=len(rows) - len(latest) if dedupe else 0)


def read_all_rows(sweep: SweepDir) -> ReadReport | None:
    """Every row of a sweep directory, superseded retries included (what its money was spent on);
    None before the first row was written."""
    return read_rows(sweep.raw, dedupe=False) if sweep.raw.exists() else None


def latest_per_cell(rows: list[Row]) -> list[Row]:
    """The last row of each cell, in the order cells first appear (a retry supersedes an error row)."""
    latest: dict[str, Row] = {}
    for r in rows:
        latest[r.cell_id] = r
    return list(latest.values())


def finished_cells(path: Path | str, retry_errors: RetryErrors = "infra") -> dict[str, Row]:
    """Resume index: cell id -> its recorded row, for every cell a resume does not run again."""
    path = Path(path)
    if not (SweepDir(path).raw if path.is_dir() else path).exists():
        return {}
    return {r.cell_id: r for r in read_rows(path).rows if not retried_on_resume(r, retry_errors)}
