"""Run one command as its own process group with rlimits, a pids cgroup, a wall clock and an output cap.

Shared by the ``process`` and ``bwrap`` sandboxes, which differ only in the argv they build. Why each piece:

- ``start_new_session``: the command and every descendant share one process group, so a wall timeout can
  SIGKILL ``-pgid`` and no grandchild (``sleep 1000 &``) survives. The group is killed after *every* run,
  not only on timeout, because a command may exit while its background children keep running.
- rlimits are set in the child before ``exec`` (RLIMIT_AS for memory, RLIMIT_FSIZE for the largest file
  so a disk filler stops at ``limits.file_mb``, RLIMIT_CPU with a one-second gap between soft and hard
  limit so the process gets SIGXCPU and we can tell a CPU kill from our own SIGKILL).
  RLIMIT_NPROC is deliberately not used: it counts every process of the *user*, and root ignores it.
- pids: best effort through a throw-away pids cgroup (v1 ``/sys/fs/cgroup/pids`` or v2 with the pids
  controller). The child joins it before ``exec``; after the run every pid still listed is killed, which
  also catches a descendant that escaped the process group with ``setsid``. Without a writable cgroup the
  run has no pids cap, and the result's ``extra["pids_cap"]`` says so.
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
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from pytest_hybrid_eval.sandbox.base import LimitHit, Limits, SandboxResult

TAIL_BYTES = 8192
_READ_CHUNK = 65536
_DRAIN_GRACE_S = 1.0
_MEMORY_MARKERS = ("MemoryError", "Cannot allocate memory", "std::bad_alloc", "out of memory")
DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin"


def minimal_env(cwd: Path) -> dict[str, str]:
    """The environment used when the caller gives none: enough to find programs, nothing secret."""
    return {"PATH": os.environ.get("PATH", DEFAULT_PATH), "LANG": "C.UTF-8", "HOME": str(cwd)}


class PidsCgroup:
    """A per-run pids cgroup; every method is best effort and never raises."""

    def __init__(self, max_pids: int) -> None:
        self.path: Path | None = None
        self.reason = ""
        for base in (Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup/unified"), Path("/sys/fs/cgroup")):
            if not (base / "cgroup.procs").exists():
                continue
            if base.name != "pids" and not _v2_has_pids(base):
                continue  # a v2 hierarchy offers pids.max to children only when the controller is delegated
            candidate = base / f"hybrid-eval-{os.getpid()}-{uuid.uuid4().hex[:8]}"
            try:
                candidate.mkdir()
            except OSError as exc:
                self.reason = f"{base}: {exc.strerror}"
                continue
            try:
                (candidate / "pids.max").write_text(str(max_pids))
            except OSError as exc:
                self.reason = f"{candidate}/pids.max: {exc.strerror}"
                with contextlib.suppress(OSError):
                    candidate.rmdir()
                continue
            self.path = candidate
            return
        self.reason = self.reason or "no writable pids cgroup"

    @property
    def procs_file(self) -> str | None:
        return str(self.path / "cgroup.procs") if self.path else None

    def hit_max(self) -> bool:
        """True when a fork was refused because of pids.max during this run."""
        if not self.path:
            return False
        try:
            for line in (self.path / "pids.events").read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "max" and int(value) > 0:
                    return True
        except (OSError, ValueError):
            return False
        return False

    def kill_and_remove(self) -> None:
        if not self.path:
            return
        for _ in range(50):
            try:
                pids = [int(p) for p in (self.path / "cgroup.procs").read_text().split()]
            except (OSError, ValueError):
                pids = []
            for pid in pids:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            try:
                self.path.rmdir()
                return
            except OSError:
                time.sleep(0.02)


def _v2_has_pids(base: Path) -> bool:
    try:
        return "pids" in (base / "cgroup.subtree_control").read_text().split()
    except OSError:
        return False


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


def _preexec(limits: Limits, procs_file: str | None) -> None:
    """Runs in the child between fork and exec: join the cgroup, then cap memory and CPU."""
    if procs_file:
        try:
            fd = os.open(procs_file, os.O_WRONLY)
            try:
                os.write(fd, str(os.getpid()).encode())
            finally:
                os.close(fd)
        except OSError:
            pass
    mem = limits.memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_s, limits.cpu_s + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    fsize = limits.file_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def run_group(argv: list[str], cwd: Path, env: dict[str, str], limits: Limits, use_cgroup: bool = True) -> RawRun:
    """Run ``argv`` and always leave no process of its group (or cgroup) behind."""
    cg = PidsCgroup(limits.pids) if use_cgroup else None
    start = time.monotonic()
    deadline = start + limits.wall_s
    tail = bytearray()
    total = 0
    killed_by: LimitHit | None = None
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
            preexec_fn=lambda: _preexec(limits, cg.procs_file if cg else None),
        )
    except BaseException:
        if cg:
            cg.kill_and_remove()
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
        pids_hit = cg.hit_max() if cg else False
        if cg:
            cg.kill_and_remove()
        sel.close()
        proc.stdout.close()
        returncode = proc.wait()
    duration = time.monotonic() - start
    extra = {"pids_cap": "cgroup" if cg and cg.path else f"none ({cg.reason if cg else 'disabled'})"}
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
        elif raw.pids_hit:
            hit = "pids"
        elif any(m in text for m in _MEMORY_MARKERS) or signum in (signal.SIGKILL, signal.SIGSEGV, signal.SIGABRT):
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
