"""The ``process`` sandbox: a plain subprocess with rlimits — resource caps, but no isolation.

Explicit opt-in (or the fallback of ``auto`` when bubblewrap is missing) and marked ``isolated = False`` so
rows say the candidate could see the file system and the network. What it does guarantee: the
environment is exactly the one given (``os.environ`` is never inherited), memory (RLIMIT_AS) and CPU
(RLIMIT_CPU) are capped, output is capped, and a wall timeout kills the whole process group. Process
count is capped only when a pids cgroup is writable (RLIMIT_NPROC is per user and ignored by root).
"""

from __future__ import annotations

from pathlib import Path

from pytest_hybrid_eval.sandbox._proc import classify, minimal_env, run_group
from pytest_hybrid_eval.sandbox.base import Limits, SandboxResult


class ProcessSandbox:
    """Runs the command directly; ``allow_loopback`` is moot because nothing is blocked."""

    kind = "process"
    isolated = False

    def __init__(self, use_cgroup: bool = True) -> None:
        self.use_cgroup = use_cgroup

    def run(
        self,
        argv: list[str],
        cwd: Path,
        limits: Limits,
        env: dict[str, str] | None = None,
        allow_loopback: bool = False,
    ) -> SandboxResult:
        cwd = Path(cwd).resolve()
        run_env = dict(env) if env is not None else minimal_env(cwd)
        raw = run_group(argv, cwd, run_env, limits, use_cgroup=self.use_cgroup)
        code = raw.returncode
        signum = -code if code is not None and code < 0 else None
        result = classify(raw, signum, code)
        result.extra["network"] = "host"
        return result
