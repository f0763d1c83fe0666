"""The sweep directory's layout: every file name in it, and the one-line error for a folder we cannot write.

A sweep directory (``results/runs/<name>`` by default; results/README.md describes it for users) holds::

    raw.jsonl                  one Row per line, appended by the controller only (store.rows)
    sweep.json                 the SweepRecord written at start (store.record)
    sweep.lock, sweep.lock.pid the exclusive lock of a running sweep and its holder's PID (store.lock)
    evidence/<cell id>/files/  the agent's final editable files, for rescoring (store.evidence)
    evidence/<cell id>/agent.log
    rescored-<UTC>.jsonl       rows scored again from the evidence (rescore), raw.jsonl untouched
    rejudged-<UTC>.jsonl       review rows judged again (rejudge)
    analysis/                  the report `hybrid-eval analyze` writes

Every other module asks ``SweepDir`` for these paths instead of spelling a name, so the layout can be
read (and changed) in this one file.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from pytest_hybrid_eval.errors import ResultsError

RAW = "raw.jsonl"
RECORD = "sweep.json"
LOCK = "sweep.lock"
LOCK_PID = "sweep.lock.pid"
EVIDENCE = "evidence"
EVIDENCE_FILES = "files"
AGENT_LOG = "agent.log"
ANALYSIS = "analysis"
RESCORED = "rescored"
REJUDGED = "rejudged"


def unwritable(path: Path, exc: OSError) -> ResultsError:
    """A results folder that is read-only, full or not a folder: one line naming it and the fix."""
    why = exc.strerror or type(exc).__name__
    return ResultsError(f"{path}: cannot write there ({why}); make room or make it a writable folder, "
                        "or pass --hybrid-out DIR")


class CellEvidence:
    """Where one cell's evidence lives: ``evidence/<cell id>/`` with ``files/`` and ``agent.log``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files = root / EVIDENCE_FILES
        self.agent_log = root / AGENT_LOG

    def file(self, rel: str) -> Path:
        """The kept copy of the task's editable file ``rel`` (a path relative to the workspace)."""
        return self.files / rel


class SweepDir:
    """The paths of one sweep directory; nothing is read or created until a caller asks for it."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"SweepDir({str(self.path)!r})"

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def raw(self) -> Path:
        return self.path / RAW

    @property
    def sweep_json(self) -> Path:
        return self.path / RECORD

    @property
    def lock(self) -> Path:
        return self.path / LOCK

    @property
    def lock_pid(self) -> Path:
        return self.path / LOCK_PID

    @property
    def evidence_root(self) -> Path:
        return self.path / EVIDENCE

    @property
    def analysis(self) -> Path:
        return self.path / ANALYSIS

    def evidence(self, cell_id: str) -> CellEvidence:
        return CellEvidence(self.evidence_root / cell_id)

    def create(self) -> None:
        """Create the folder, or say in one line why it cannot be (a file in the way, read-only, full)."""
        if self.path.exists() and not self.path.is_dir():
            raise ResultsError(f"{self.path}: is a file, not a folder; pass --hybrid-out DIR naming a folder")
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise unwritable(self.path, exc) from None

    def new_results_file(self, prefix: str, named: Path | str | None = None) -> Path:
        """A results file that does not exist yet: ``<prefix>-<UTC timestamp>.jsonl`` unless one is named.

        Only raw.jsonl's own writer appends to raw.jsonl; rescoring never rewrites a results file.
        """
        if named is not None:
            path = Path(named)
            path = path if path.is_absolute() else self.path / path
            if path.exists():
                raise ResultsError(f"{path} already exists; rescoring never rewrites a results file, name a new one")
            if path.resolve() == self.raw.resolve():
                raise ResultsError(f"refusing to write to {RAW}; rescored rows go to a new file")
            return path
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        path = self.path / f"{prefix}-{stamp}.jsonl"
        n = 1
        while path.exists():
            path = self.path / f"{prefix}-{stamp}-{n}.jsonl"
            n += 1
        return path


def results_files(path: Path | str) -> list[Path]:
    """The results files ``path`` names: a file itself, a sweep dir's raw.jsonl, or those of its sub-folders."""
    path = Path(path)
    if path.is_file():
        return [path]
    if SweepDir(path).raw.is_file():
        return [SweepDir(path).raw]
    if path.is_dir():
        found = sorted(SweepDir(p).raw for p in path.iterdir() if SweepDir(p).raw.is_file())
        if found:
            return found
    raise ResultsError(f"{path}: no {RAW} here or in its sub-folders; pass a sweep directory or a {RAW}")
