"""Per-run cgroups: a pids cap and a memory cap that counts what RLIMIT_AS cannot see.

Why cgroups at all: RLIMIT_NPROC counts every process of the *user* (and root ignores it), and RLIMIT_AS
counts address space, not memory — pages of a tmpfs (the sandbox's ``/tmp`` and ``/dev/shm``) are host
memory that no rlimit sees, and V8 reserves far more address space than it touches, so an agent cannot
live under a tight RLIMIT_AS. A memory cgroup charges resident pages *and* the tmpfs pages a run
writes, so ``sandbox.memory_mb`` holds for both.

Everything here is best effort and never raises: a machine without a writable hierarchy (a non-root
user without delegation) runs without that cap, and the run's ``extra`` says so (``pids_cap`` and
``memory_cap``). The child joins the cgroups between fork and exec (`join`, async-signal-safe: plain
``os.open``/``os.write``); after the run every pid still listed is killed — which also catches a
descendant that escaped the process group with ``setsid`` — and the directories are removed.

Where they are created: the pids cgroup at the top of a pids hierarchy (v1 ``/sys/fs/cgroup/pids`` or
v2 with the controller delegated), the memory cgroup *below this process's own memory cgroup*, so a
limit placed on the harness (a container, a CI job) still contains the run.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
import uuid
from pathlib import Path

_ROOT = Path("/sys/fs/cgroup")


def _v2_has(base: Path, controller: str) -> bool:
    try:
        return controller in (base / "cgroup.subtree_control").read_text().split()
    except OSError:
        return False


def _own_cgroup(controller: str) -> list[Path]:
    """Candidate parents for a child cgroup of ``controller``: this process's own cgroup, v1 then v2."""
    out: list[Path] = []
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return out
    for line in lines:
        _, controllers, rel = line.split(":", 2)
        rel = rel.lstrip("/")
        if controller in controllers.split(","):
            out.append(_ROOT / controller / rel)
        elif controllers == "":  # the v2 line
            out += [_ROOT / "unified" / rel, _ROOT / rel]
    return out


def _make_child(bases: list[Path], limits: dict[str, str], v2_controller: str) -> tuple[Path | None, str]:
    """Create ``hybrid-eval-*`` under the first base that accepts it and write ``limits`` (file -> value)."""
    reason = ""
    for base in bases:
        if not (base / "cgroup.procs").exists():
            continue
        is_v1 = base.is_relative_to(_ROOT / v2_controller) or (base / "tasks").exists()
        if not is_v1 and not _v2_has(base, v2_controller):
            continue  # a v2 cgroup offers the controller to children only when it is delegated
        candidate = base / f"hybrid-eval-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        try:
            candidate.mkdir()
        except OSError as exc:
            reason = f"{base}: {exc.strerror}"
            continue
        try:
            for name, value in limits.items():
                if (candidate / name).exists():
                    (candidate / name).write_text(value)
            return candidate, ""
        except OSError as exc:
            reason = f"{candidate}: {exc.strerror}"
            with contextlib.suppress(OSError):
                candidate.rmdir()
    return None, reason or f"no writable {v2_controller} cgroup"


def _counter(path: Path, key: str) -> int:
    try:
        for line in path.read_text().splitlines():
            name, _, value = line.partition(" ")
            if name == key:
                return int(value)
    except (OSError, ValueError):
        return 0
    return 0


def _kill_and_rmdir(path: Path) -> None:
    """SIGKILL every member, then remove; members of a pid namespace die asynchronously, so retry briefly."""
    for _ in range(200):
        try:
            pids = [int(p) for p in (path / "cgroup.procs").read_text().split()]
        except (OSError, ValueError):
            pids = []
        for pid in pids:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        try:
            path.rmdir()
            return
        except OSError:
            time.sleep(0.005)


class PidsCgroup:
    """A per-run pids cgroup (``pids.max``)."""

    def __init__(self, max_pids: int) -> None:
        bases = [_ROOT / "pids", _ROOT / "unified", _ROOT]
        self.path, self.reason = _make_child(bases, {"pids.max": str(max_pids)}, "pids")
        if self.path and not (self.path / "pids.max").exists():
            _kill_and_rmdir(self.path)
            self.path, self.reason = None, "no pids.max in the hierarchy"

    @property
    def procs_file(self) -> str | None:
        return str(self.path / "cgroup.procs") if self.path else None

    def hit_max(self) -> bool:
        """True when a fork was refused because of pids.max during this run."""
        return bool(self.path) and _counter(self.path / "pids.events", "max") > 0  # type: ignore[operator]

    def kill_and_remove(self) -> None:
        if self.path:
            _kill_and_rmdir(self.path)


class MemoryCgroup:
    """A per-run memory cgroup: resident memory plus tmpfs pages capped at ``memory_mb``, no swap."""

    def __init__(self, memory_mb: int) -> None:
        limit = str(memory_mb * 1024 * 1024)
        # v1 wants memory.limit_in_bytes before memsw (memsw >= limit); v2 names them memory.max / swap.max
        wanted = {"memory.limit_in_bytes": limit, "memory.memsw.limit_in_bytes": limit,
                  "memory.max": limit, "memory.swap.max": "0"}  # fmt: skip
        self.path, self.reason = _make_child(_own_cgroup("memory"), wanted, "memory")

    @property
    def procs_file(self) -> str | None:
        return str(self.path / "cgroup.procs") if self.path else None

    def oom_killed(self) -> bool:
        """True when the kernel killed a process of this run for exceeding the cap."""
        if not self.path:
            return False
        return (_counter(self.path / "memory.oom_control", "oom_kill") > 0
                or _counter(self.path / "memory.events", "oom_kill") > 0)  # fmt: skip

    def kill_and_remove(self) -> None:
        if self.path:
            _kill_and_rmdir(self.path)


def join(procs_files: list[str]) -> None:
    """Move the calling process into each cgroup; runs in the child between fork and exec."""
    pid = str(os.getpid()).encode()
    for procs in procs_files:
        try:
            fd = os.open(procs, os.O_WRONLY)
            try:
                os.write(fd, pid)
            finally:
                os.close(fd)
        except OSError:
            pass
