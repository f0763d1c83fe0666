"""One run per sweep directory at a time: an exclusive lock file inside the out dir, with the holder's PID.

Two runs appending to the same raw.jsonl each run every cell they think is missing (two runs of a
4-cell sweep wrote 8 rows) and each spends its own share of the cloud cap. The controller therefore
takes this lock before it reads the recorded rows or writes anything, and holds it until the run ends; a
second run is refused in one line naming the holder's PID. The lock is an OS file lock (``filelock``,
``flock`` on POSIX), so a crashed or killed holder releases it with its last file descriptor and a stale
PID file never blocks the next run.
"""

from __future__ import annotations

import os
from contextlib import suppress
from pathlib import Path

from filelock import BaseFileLock, FileLock, Timeout

from pytest_hybrid_eval.errors import ResultsError
from pytest_hybrid_eval.store.layout import SweepDir, unwritable


class OutDirBusy(ResultsError):
    """Another run holds the out dir."""


class OutDirLock:
    """The exclusive lock of one sweep directory (``sweep.lock``, PID in ``sweep.lock.pid``)."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.sweep = SweepDir(out_dir)
        self.lock_path = self.sweep.lock
        self.pid_path = self.sweep.lock_pid
        self._lock: BaseFileLock | None = None

    @property
    def held(self) -> bool:
        return self._lock is not None

    def holder(self) -> str:
        """The PID the holder wrote, as text ("unknown" while it has not written it yet)."""
        try:
            pid = self.pid_path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError):
            return "unknown"
        return pid if pid.isdigit() else "unknown"

    def acquire(self) -> None:
        """Take the lock without waiting, then record our PID; a held lock is ``OutDirBusy``."""
        self.sweep.create()
        lock = FileLock(str(self.lock_path), timeout=0)
        try:
            lock.acquire()
        except Timeout:
            raise OutDirBusy(
                f"{self.out_dir} is in use by another sweep run (pid {self.holder()}); wait for it to finish, "
                "or pass --hybrid-out DIR to run a separate sweep"
            ) from None
        except OSError as exc:
            raise unwritable(self.out_dir, exc) from None
        try:
            tmp = self.pid_path.with_suffix(".tmp")
            tmp.write_text(f"{os.getpid()}\n", encoding="utf-8")
            tmp.replace(self.pid_path)
        except OSError as exc:
            with suppress(OSError):
                tmp.unlink()
            lock.release()
            raise unwritable(self.out_dir, exc) from None
        self._lock = lock

    def release(self) -> None:
        """Drop the PID file, then the lock (idempotent)."""
        if self._lock is None:
            return
        with suppress(OSError):
            self.pid_path.unlink()
        self._lock.release()
        self._lock = None
