"""A total size quota for a run's work directory, enforced by measuring the tree while the run goes on.

Why a watcher and not a filesystem quota: the work dir is an ordinary host directory (it must outlive
the run so its files can be scored and kept as evidence), and neither project quotas nor a loop-mounted
image are available to a non-root user. RLIMIT_FSIZE already caps each *file*; what it cannot stop is
a candidate that writes many files just under that cap until the host disk is full. The run loop calls
`DiskQuota.over` every ``interval_s``; when the tree's allocated size (``st_blocks``, so a sparse file
counts what it really uses) or its entry count crosses the quota, the caller kills the process group and
reports ``limit_hit="disk"``. A writer can overshoot by what it writes in one interval, which is bounded
by the write speed and by RLIMIT_FSIZE; the quota is a containment line, not an exact budget.

A tree walk stops counting as soon as the quota is crossed, so a flood of tiny files costs at most
``max_entries`` stat calls per check, and a tree that takes long to walk is checked less often.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

#: an inode flood (millions of empty files) fills a disk's inode table without using bytes
DEFAULT_MAX_ENTRIES = 200_000


def tree_usage(root: Path, stop_bytes: int | None = None, stop_entries: int | None = None) -> tuple[int, int]:
    """(allocated bytes, entries) under ``root``, symlinks not followed; stops early past a stop value."""
    total = 0
    entries = 0
    stack = [str(root)]
    while stack:
        top = stack.pop()
        try:
            it = os.scandir(top)
        except OSError:
            continue
        with it:
            for entry in it:
                entries += 1
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                total += st.st_blocks * 512
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                if (stop_bytes is not None and total > stop_bytes) or (
                        stop_entries is not None and entries > stop_entries):
                    return total, entries
    return total, entries


class DiskQuota:
    """Checks ``root`` against ``quota_mb`` at most once per ``interval_s`` (measured from the start size).

    The quota counts what the run *adds*: a work dir that already holds the task's files (or an agent's
    installed caches) is not charged for them.
    """

    def __init__(self, root: Path, quota_mb: int, interval_s: float = 0.1,
                 max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        self.root = root
        self.quota = quota_mb * 1024 * 1024
        self.interval_s = interval_s
        base_bytes, base_entries = tree_usage(root)
        self.stop_bytes = base_bytes + self.quota
        self.stop_entries = base_entries + max_entries
        self._next = 0.0
        self.peak_added = 0

    def over(self, force: bool = False) -> bool:
        """True once the tree has grown past the quota; measures only when the interval has passed."""
        now = time.monotonic()
        if not force and now < self._next:
            return False
        used, entries = tree_usage(self.root, self.stop_bytes, self.stop_entries)
        # a big tree (an agent's caches) is walked less often: the watcher stays under ~10% of one core
        self._next = now + max(self.interval_s, 10 * (time.monotonic() - now))
        self.peak_added = max(self.peak_added, used - (self.stop_bytes - self.quota))
        return used > self.stop_bytes or entries > self.stop_entries
