"""Run one command as its own process group with rlimits, a pids cgroup, a wall clock and an output cap.

Shared by the ``process`` and ``bwrap`` sandboxes, which differ only in the argv they build. Why each piece:

- ``start_new_session``: the command and every descendant share one process group, so a wall timeout can
  SIGKILL ``-pgid`` and no grandchild (``sleep 1000 &``) survives. The group is killed after *every* run,
  not only on timeout, because a command may exit while its background children keep running.
- rlimits are set in the child before ``exec`` (RLIMIT_AS for memory, RLIMIT_FSIZE for the largest file
  so a disk filler stops at ``limits.file_mb``, RLIMIT_CPU with a one-second gap between soft and hard
  limit so the process gets SIGXCPU and we can tell a CPU kill from our own SIGKILL).
  RLIMIT_NPROC is deliberately not used: it counts every process of the *user*, and root ignores it.
- pids and memory: best effort through throw-away cgroups (see `cgroups`): ``pids.max`` and a memory cap
  that also counts tmpfs pages. The child joins them before ``exec``; after the run every pid still
  listed is killed, which also catches a descendant that escaped the process group with ``setsid``.
  Without a writable hierarchy the run has no such cap, and ``extra["pids_cap"]``/``["memory_cap"]`` say so.
- disk: the work dir's total growth is measured while the run goes on (see `quota`) and the group is
  killed with ``limit_hit="disk"`` past ``limits.disk_mb``.
- output: read by one ``select`` loop (no threads); only the last ``TAIL_BYTES`` are kept, and a run that
  writes more than ``limits.output_bytes`` is killed with ``limit_hit="output"``, so memory stays bounded
  and a runaway printer cannot block on a full pipe until the wall clock.
"""

from __future__ import annotations

import contextlib
import os
import resource
import selectors
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from pytest_hybrid_eval.sandbox.base import LimitHit, Limits, SandboxResult
from pytest_hybrid_eval.sandbox.cgroups import MemoryCgroup, PidsCgroup, join
from pytest_hybrid_eval.sandbox.quota import DiskQuota

__all__ = ["DEFAULT_PATH", "TAIL_BYTES", "PidsCgroup", "RawRun", "classify", "minimal_env", "run_group"]

TAIL_BYTES = 8192
_READ_CHUNK = 65536
_DRAIN_GRACE_S = 1.0
_MEMORY_MARKERS = ("MemoryError", "Cannot allocate memory", "std::bad_alloc", "out of memory")
DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin"


def minimal_env(cwd: Path) -> dict[str, str]:
    """The environment used when the caller gives none: enough to find programs, nothing secret."""
    return {"PATH": os.environ.get("PATH", DEFAULT_PATH), "LANG": "C.UTF-8", "HOME": str(cwd)}


@dataclass
class RawRun:
    """What a run did, before the sandbox kind interprets exit codes."""

    returncode: int | None
    tail: bytes
    total_bytes: int
    duration_s: float
    killed_by: LimitHit | None = None  # a limit *we* enforced by killing the group (wall, output)
    pids_hit: bool = False
    extra: dict[str, str] = field(default_factory=dict)


def _preexec(limits: Limits, procs_files: list[str]) -> None:
    """Runs in the child between fork and exec: join the cgroups, then cap memory, CPU and file size."""
    join(procs_files)
    mem = limits.rlimit_as_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_s, limits.cpu_s + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    fsize = min(limits.file_mb, limits.disk_mb) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


class _RunCgroups:
    """The pids and memory cgroups of one run (either may be missing; see `cgroups`)."""

    def __init__(self, limits: Limits, enabled: bool) -> None:
        self.pids = PidsCgroup(limits.pids) if enabled else None
        self.memory = MemoryCgroup(limits.memory_mb) if enabled else None

    def procs_files(self) -> list[str]:
        return [f for f in (self.pids and self.pids.procs_file, self.memory and self.memory.procs_file) if f]

    def release(self) -> tuple[bool, bool]:
        """Kill what is left and remove the cgroups; returns (pids cap hit, memory OOM kill)."""
        pids_hit = bool(self.pids and self.pids.hit_max())
        oom = bool(self.memory and self.memory.oom_killed())
        for cg in (self.pids, self.memory):
            if cg:
                cg.kill_and_remove()
        return pids_hit, oom

    def describe(self) -> dict[str, str]:
        def what(cg: PidsCgroup | MemoryCgroup | None) -> str:
            return "cgroup" if cg and cg.path else f"none ({cg.reason if cg else 'disabled'})"

        memory = what(self.memory)
        return {"pids_cap": what(self.pids), "memory_cap": memory if memory == "cgroup" else f"rlimit-as; {memory}"}


def run_group(argv: list[str], cwd: Path, env: dict[str, str], limits: Limits, use_cgroup: bool = True,
              quota_dir: Path | None = None, pass_fds: tuple[int, ...] = ()) -> RawRun:
    """Run ``argv`` and always leave no process of its group (or cgroups) behind.

    ``quota_dir`` (default ``cwd``) is the tree whose growth is capped at ``limits.disk_mb``; ``pass_fds``
    are inherited by the command (e.g. bubblewrap's status pipe), every other descriptor is closed.
    """
    cgs = _RunCgroups(limits, use_cgroup)
    quota = DiskQuota(quota_dir or cwd, limits.disk_mb)
    start = time.monotonic()
    deadline = start + limits.wall_s
    tail = bytearray()
    total = 0
    killed_by: LimitHit | None = None
    procs_files = cgs.procs_files()
    try:
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
            pass_fds=pass_fds,
            preexec_fn=lambda: _preexec(limits, procs_files),
        )
    except BaseException:
        cgs.release()
        raise
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    os.set_blocking(fd, False)
    sel = selectors.DefaultSelector()
    sel.register(fd, selectors.EVENT_READ)
    eof = False
    leader_done_at: float | None = None
    try:
        while not eof:
            now = time.monotonic()
            if now >= deadline:
                killed_by = "wall"
                break
            if quota.over():
                killed_by = "disk"
                break
            if leader_done_at is None and proc.poll() is not None:
                # the leader is gone; background descendants may still hold the pipe open: kill them
                leader_done_at = now
                _kill_group(proc.pid)
            if leader_done_at is not None and now - leader_done_at > _DRAIN_GRACE_S:
                break  # something outside the group (escaped via setsid) holds the pipe
            for _key, _ in sel.select(timeout=min(0.05, max(0.0, deadline - now))):
                try:
                    data = os.read(fd, _READ_CHUNK)
                except BlockingIOError:
                    continue
                if not data:
                    eof = True
                    break
                total += len(data)
                tail += data
                if len(tail) > TAIL_BYTES:
                    del tail[: len(tail) - TAIL_BYTES]
                if total > limits.output_bytes:
                    killed_by = "output"
                    eof = True
                    break
    finally:
        _kill_group(proc.pid)
        sel.close()
        proc.stdout.close()
        returncode = proc.wait()  # reap the leader first: a cgroup holding its zombie cannot be removed
        pids_hit, oom = cgs.release()
    if killed_by is None and quota.over(force=True):
        killed_by = "disk"  # written in the last interval, after the final check
    duration = time.monotonic() - start
    extra = cgs.describe()
    extra["disk_added_bytes"] = str(max(0, quota.peak_added))
    if oom:
        extra["oom_kill"] = "true"
    return RawRun(
        returncode=None if killed_by == "wall" else returncode,
        tail=bytes(tail),
        total_bytes=total,
        duration_s=duration,
        killed_by=killed_by,
        pids_hit=pids_hit,
        extra=extra,
    )


def classify(raw: RawRun, signum: int | None, exit_code: int | None) -> SandboxResult:
    """Turn a raw run into a SandboxResult, guessing which limit (if any) ended it.

    ``signum`` is the signal that ended the command (already decoded by the sandbox kind) and
    ``exit_code`` the code to report (``-signum`` for a signal death, Python's convention).
    """
    text = raw.tail.decode("utf-8", errors="replace")
    hit: LimitHit | None = raw.killed_by
    if hit is None and exit_code not in (0, None):
        if signum == signal.SIGXCPU:
            hit = "cpu"
        elif raw.pids_hit and raw.extra.get("oom_kill") != "true":
            hit = "pids"
        elif raw.extra.get("oom_kill") == "true" or any(m in text for m in _MEMORY_MARKERS) or signum in (signal.SIGKILL, signal.SIGSEGV, signal.SIGABRT):
            hit = "memory"
    extra = dict(raw.extra)
    extra["output_bytes"] = str(raw.total_bytes)
    return SandboxResult(
        exit_code=None if raw.killed_by == "wall" else exit_code,
        output_tail=text,
        duration_s=raw.duration_s,
        limit_hit=hit,
        extra=extra,
    )
