"""The Sandbox protocol: run one command with no network, capped resources and no inherited secrets."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

LimitHit = Literal["wall", "memory", "cpu", "pids", "output", "disk"]


@dataclass(frozen=True)
class Limits:
    wall_s: float = 60.0
    memory_mb: int = 1024
    cpu_s: int = 120
    pids: int = 256
    output_bytes: int = 1_000_000
    #: largest file the command may write (RLIMIT_FSIZE) and the size of a sandbox's private /tmp, so a
    #: candidate that writes until the disk is full stops at this cap instead of filling the host disk or
    #: (for a tmpfs /tmp, whose pages are not counted by RLIMIT_AS) the host's memory
    file_mb: int = 512
    #: total growth of the work dir (all files together), enforced by a watcher that kills the run
    disk_mb: int = 1024
    #: size of the sandbox's /dev/shm tmpfs (host memory, like /tmp)
    shm_mb: int = 64
    #: RLIMIT_AS when it must differ from ``memory_mb``: runtimes such as V8 reserve far more address space
    #: than they use, so agents get a large runaway guard here while the memory cgroup enforces ``memory_mb``
    address_space_mb: int | None = None

    @property
    def rlimit_as_mb(self) -> int:
        return self.address_space_mb if self.address_space_mb is not None else self.memory_mb


@dataclass
class SandboxResult:
    exit_code: int | None
    output_tail: str
    duration_s: float
    limit_hit: LimitHit | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def timed_out(self) -> bool:
        return self.limit_hit == "wall"


@runtime_checkable
class Sandbox(Protocol):
    kind: str
    isolated: bool

    def run(
        self,
        argv: list[str],
        cwd: Path,
        limits: Limits,
        env: dict[str, str] | None = None,
        allow_loopback: bool = False,
    ) -> SandboxResult:
        """Run ``argv`` in ``cwd`` (the only writable place); ``env`` is the *whole* environment."""
        ...
