"""Which sandbox kinds work on this machine, and building the one a sweep config asks for.

Availability is probed for real (bubblewrap can be installed yet unusable, e.g. without user namespaces),
once per process. ``auto`` picks the strongest kind that works — a Docker sandbox when a build provides
one and an engine answers, else bwrap — and falls back to the unisolated ``process`` kind only with a
warning, so the run's rows say ``isolated: false`` rather than silently claiming isolation.
"""

from __future__ import annotations

import functools
import importlib
import shutil
import subprocess
import warnings
from pathlib import Path

from pytest_hybrid_eval.config import SandboxConfig
from pytest_hybrid_eval.errors import HybridEvalError
from pytest_hybrid_eval.sandbox.base import Limits, Sandbox
from pytest_hybrid_eval.sandbox.bwrap import BwrapSandbox, runtime_paths
from pytest_hybrid_eval.sandbox.process import ProcessSandbox

KINDS = ("docker", "bwrap", "process")
_FIXES = {
    "bwrap": "install bubblewrap (apt-get install bubblewrap) and allow unprivileged user namespaces, "
    "or set sandbox.kind=process to run unisolated",
    "docker": "start a Docker engine reachable from DOCKER_HOST and install the 'docker' Python package, "
    "or set sandbox.kind=bwrap",
    "process": "",
}


@functools.cache
def probe_bwrap() -> str | None:
    """None when ``bwrap --unshare-all ... true`` succeeds here, else why it does not."""
    exe = shutil.which("bwrap")
    if exe is None:
        return "bwrap is not installed"
    cmd = [exe, "--unshare-all", "--die-with-parent", "--new-session", "--ro-bind", "/", "/",
           "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp", "true"]  # fmt: skip
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=10, env={"PATH": "/usr/bin:/bin"})
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bwrap could not run: {exc}"
    if proc.returncode != 0:
        return f"bwrap failed (exit {proc.returncode}): {(proc.stderr or proc.stdout).strip()[:200]}"
    return None


def _docker_sandbox_class() -> type | None:
    try:
        module = importlib.import_module("pytest_hybrid_eval.sandbox.docker")
    except ImportError:
        return None
    return getattr(module, "DockerSandbox", None)


@functools.cache
def probe_docker() -> str | None:
    """None when a Docker engine answers a ping and this build has a docker sandbox, else why not."""
    try:
        import docker  # type: ignore[import-not-found]
    except ImportError:
        return "the 'docker' Python package is not installed"
    try:
        client = docker.from_env(timeout=3)
        client.ping()
    except Exception as exc:  # the SDK raises many kinds (DockerException, ConnectionError, ...)
        return f"Docker engine not reachable: {str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__}"
    if _docker_sandbox_class() is None:
        return "a Docker engine answers, but this build has no docker sandbox kind"
    return None


def available_kinds() -> dict[str, str | None]:
    """kind -> None if it works here, else the reason it does not."""
    return {"docker": probe_docker(), "bwrap": probe_bwrap(), "process": None}


def limits_from_config(cfg: SandboxConfig, wall_s: float, output_bytes: int = Limits.output_bytes) -> Limits:
    """The per-run limits of a sweep: caps from the config, wall clock from the task or override.

    Every run of candidate code takes its caps from here — the scorer's
    ``limits_from_config(cfg.sandbox, wall_s=timeout_s)``, the built-in agent's test runs and CLI agents
    (through ``AgentContext.caps``) — so ``sandbox.memory_mb``, ``pids`` and ``cpu_s`` are what holds; the
    file, disk and /dev/shm caps keep the `Limits` defaults.
    """
    return Limits(wall_s=wall_s, memory_mb=cfg.memory_mb, cpu_s=cfg.cpu_s, pids=cfg.pids, output_bytes=output_bytes)


def _build(kind: str, hide: list[Path], expose: list[Path] | None = None) -> Sandbox:
    if kind == "bwrap":
        return BwrapSandbox(hide=hide, expose=[*runtime_paths(), *(expose or [])])
    if kind == "process":
        return ProcessSandbox()
    cls = _docker_sandbox_class()
    assert cls is not None  # probe_docker() returned None only when the class exists
    return cls(hide=hide)


def make_sandbox(cfg: SandboxConfig, hide: list[Path] | None = None, expose: list[Path] | None = None) -> Sandbox:
    """The sandbox the config asks for; an explicit kind that does not work here is an error naming the fix.

    ``expose`` adds read-only directories to the ones the interpreter needs (e.g. installed agent CLIs under
    a home directory that the sandbox otherwise hides).
    """
    hide = list(hide or [])
    extra = list(expose or [])
    kinds = available_kinds()
    if cfg.kind != "auto":
        reason = kinds[cfg.kind]
        if reason is not None:
            raise HybridEvalError(f"sandbox.kind={cfg.kind} is unavailable: {reason}; {_FIXES[cfg.kind]}")
        return _build(cfg.kind, hide, extra)
    for kind in ("docker", "bwrap"):
        if kinds[kind] is None:
            return _build(kind, hide, extra)
    warnings.warn(
        f"no isolating sandbox available (docker: {kinds['docker']}; bwrap: {kinds['bwrap']}); candidate code "
        "runs as a plain process with rlimits only and rows are marked isolated=false. "
        f"To isolate: {_FIXES['bwrap']}",
        stacklevel=2,
    )
    return ProcessSandbox()
