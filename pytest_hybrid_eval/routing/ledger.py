"""Per-cell usage ledger: every routed call ends here as exactly one CallRecord.

Workers ask the controller's proxy for a cell's usage over HTTP, and the in-process plugin may read it
from another thread, so reads and writes take a lock (cheap: one short critical section per call). The
optional decision log is one JSON line per call, appended and flushed so a crash loses at most the line
being written. The log stays open between calls (opening and closing it per call cost more than the
rest of the bookkeeping); the flush after each line is what keeps a crash from losing records, and no
fsync is done: a proxy crash is survived by a flushed line, only a machine crash is not.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TextIO

from pytest_hybrid_eval.usage import CallRecord, CellUsage


class Ledger:
    """Call records grouped by cell, plus an optional JSONL decision log."""

    def __init__(self, decision_log: Path | str | None = None) -> None:
        self._lock = threading.Lock()
        self._cells: dict[str, CellUsage] = {}
        self._order: list[CallRecord] = []
        self._log_path = Path(decision_log) if decision_log is not None else None
        self._log: TextIO | None = None
        if self._log_path is not None:
            self._log_path.parent.mkdir(parents=True, exist_ok=True)

    def record(self, rec: CallRecord) -> None:
        line = rec.model_dump_json() + "\n" if self._log_path is not None else None
        with self._lock:
            usage = self._cells.get(rec.cell_id)
            if usage is None:
                usage = self._cells[rec.cell_id] = CellUsage(cell_id=rec.cell_id)
            usage.record(rec)
            self._order.append(rec)
            if line is not None and self._log_path is not None:
                if self._log is None:
                    self._log = self._log_path.open("a", encoding="utf-8")
                self._log.write(line)
                self._log.flush()

    def close(self) -> None:
        """Close the decision log; a later ``record`` opens it again (appending), so closing is always safe."""
        with self._lock:
            if self._log is not None:
                self._log.close()
                self._log = None

    def usage(self, cell_id: str) -> CellUsage:
        """A snapshot (deep copy) of the cell's usage; an empty CellUsage when the cell made no calls."""
        with self._lock:
            usage = self._cells.get(cell_id)
            return usage.model_copy(deep=True) if usage is not None else CellUsage(cell_id=cell_id)

    def all_records(self) -> list[CallRecord]:
        """Every record in arrival order (copies)."""
        with self._lock:
            return [r.model_copy(deep=True) for r in self._order]

    def cell_ids(self) -> list[str]:
        with self._lock:
            return list(self._cells)
