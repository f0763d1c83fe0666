"""The ``bwrap`` sandbox: bubblewrap namespaces for machines without a Docker engine.

The command sees a read-only copy of ``/`` with private ``/dev``, ``/proc`` and ``/tmp``; ``/root``,
``/home`` and every path in ``hide`` (the task roots, the sweep's out dir, the repository) are covered by
empty tmpfs mounts, so the user's secrets, the reference solutions and other cells' evidence are
unreadable wherever they are on disk. What the command legitimately needs is bound back on top
(``expose``, read-only: the running interpreter and its virtualenv, this package, installed agents — an
interpreter, not a secret — even when they live inside a hidden directory, e.g. ``/tmp/clone/.venv``),
and the working directory is bound read-write. Mounts are made in order of path depth (`mount_plan`),
so a mount always lands after the one that covers its parent: hide, then bind back, then the cwd, and a
hidden directory *inside* the cwd is mounted after it.

Network: every namespace is unshared, so there is no network at all. ``proxy_port`` (agents) keeps a
private namespace but relays ``127.0.0.1:PORT`` inside it to the host's routing proxy through a unix
socket (`netrelay` inside, `proxybridge` outside): the proxy and nothing else (``extra["network"] =
"proxy-only"``). ``allow_loopback`` shares the host network namespace (kept for the protocol; no agent
uses it). The environment is cleared and rebuilt from ``env`` only.

Resources: rlimits and cgroups are set before bwrap starts and are inherited inside (see `_proc`); a
wall timeout kills bwrap's process group, and ``--die-with-parent`` plus the pid namespace take
everything inside down with it. tmpfs pages are host memory that RLIMIT_AS does not count, so every
tmpfs is sized: ``/tmp`` holds at most ``limits.file_mb``, ``/dev/shm`` ``limits.shm_mb``, the hiding
mounts almost nothing, and ``/dev`` itself (bwrap's unsized tmpfs with the device nodes) is remounted
read-only so nothing can be written there.

Did the command start? bubblewrap writes, on a status pipe that the command never inherits
(``--json-status-fd``), ``{"exit-code": N}`` once the command it set up has exited; a failure while
setting up the sandbox (a mount, ``execvp``) leaves no such record. ``extra["started"]`` ("true"/"false")
comes from that pipe only, never from the output, which the command can fill with any ``bwrap: ...``
text it likes.

Capabilities: bwrap started by root keeps *every* capability inside unless told otherwise, and with
CAP_SYS_ADMIN a command can ``umount /root`` (uncovering the user's home) or ``mount -o remount,rw /``
(writing host files). ``--cap-drop ALL`` is therefore always passed.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
from pathlib import Path

from pytest_hybrid_eval.sandbox._proc import classify, minimal_env, run_group
from pytest_hybrid_eval.sandbox.base import Limits, SandboxResult
from pytest_hybrid_eval.sandbox.proxybridge import SOCKET_NAME, ProxyBridge

BWRAP = "bwrap"
#: where the proxy bridge's socket directory appears inside the sandbox (on the private /tmp)
PROXY_SOCKET_DIR = Path("/tmp/.hybrid-eval-proxy")
_PACKAGE_DIR = Path(__file__).resolve().parents[1]
_ALWAYS_HIDDEN = (Path("/root"), Path("/home"))
_HIDING_TMPFS_BYTES = 1024 * 1024  # only mount points live there


def _inside(path: Path, parent: Path) -> bool:
    return path == parent or parent in path.parents


def runtime_paths() -> list[Path]:
    """Directories a sandboxed command needs from the harness: the interpreter, its virtualenv, this package.

    The package is there because the sandbox runs its helpers by path (`netrelay`, scoring runners) and an
    editable install keeps it inside the repository, which is hidden.
    """
    paths = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(), Path(sys.executable).resolve().parent,
             _PACKAGE_DIR}
    return sorted(p for p in paths if p.is_dir() and not any(q != p and _inside(p, q) for q in paths))


def mount_plan(hide: list[Path], expose: list[Path], cwd: Path) -> list[str]:
    """bwrap arguments for the hiding tmpfs mounts, the read-only binds back and the writable cwd.

    Sorted by path depth (hide before bind at equal depth, cwd last), so every mount is made after any
    mount on one of its parents: an exposed venv inside a hidden repo stays visible, a hidden directory
    inside the cwd stays hidden.
    """
    ops: list[tuple[int, int, list[str]]] = []
    for p in hide:
        ops.append((len(p.parts), 0, ["--size", str(_HIDING_TMPFS_BYTES), "--tmpfs", str(p)]))
    for p in expose:
        ops.append((len(p.parts), 1, ["--ro-bind", str(p), str(p)]))
    ops.append((len(cwd.parts), 2, ["--bind", str(cwd), str(cwd)]))
    return [arg for _, _, args in sorted(ops, key=lambda op: (op[0], op[1])) for arg in args]


def _read_status(fd: int) -> list[dict]:
    """The JSON records bubblewrap wrote on its status pipe (closes ``fd``; never blocks)."""
    data = b""
    try:
        os.set_blocking(fd, False)
        while len(data) < 65536:
            try:
                chunk = os.read(fd, 4096)
            except BlockingIOError:
                break
            if not chunk:
                break
            data += chunk
    finally:
        os.close(fd)
    records = []
    for line in data.decode("utf-8", errors="replace").splitlines():
        with contextlib.suppress(ValueError):
            if isinstance(rec := json.loads(line), dict):
                records.append(rec)
    return records


class BwrapSandbox:
    """Bubblewrap sandbox; ``hide`` lists extra directories to cover with an empty tmpfs."""

    kind = "bwrap"
    isolated = True

    def __init__(
        self,
        hide: list[Path] | None = None,
        bwrap: str | None = None,
        use_cgroup: bool = True,
        expose: list[Path] | None = None,
    ) -> None:
        self.hide = [Path(p).resolve() for p in (hide or [])]
        self.expose = [Path(p).resolve() for p in (runtime_paths() if expose is None else expose)]
        self.bwrap = bwrap or shutil.which(BWRAP) or BWRAP
        self.use_cgroup = use_cgroup

    def with_expose(self, extra: list[Path]) -> BwrapSandbox:
        """The same sandbox with more read-only directories (e.g. an agent's install dir)."""
        expose = list(self.expose)
        for p in (Path(x).resolve() for x in extra):
            if p not in expose:
                expose.append(p)
        return BwrapSandbox(hide=list(self.hide), bwrap=self.bwrap, use_cgroup=self.use_cgroup, expose=expose)

    def run_agent(self, argv: list[str], cwd: Path, limits: Limits, env: dict[str, str], *,
                  proxy_port: int | None, expose: list[Path]) -> SandboxResult:
        """Run an agent: ``expose`` bound back read-only, the proxy's port the only network (none without it)."""
        return self.with_expose(expose).run(argv, cwd, limits, env=env, proxy_port=proxy_port)

    def hidden(self) -> list[Path]:
        """Directories covered by an empty tmpfs: the homes and every existing ``hide`` path but ``/``."""
        out = [p for p in _ALWAYS_HIDDEN if p.is_dir()]
        return out + [p for p in self.hide if p.is_dir() and p != Path("/") and p not in out]

    def exposed(self) -> list[Path]:
        """The ``expose`` paths that a private or hiding tmpfs (/tmp, homes, ``hide``) would otherwise cover.

        A virtualenv created under /tmp or inside the (hidden) repository needs this as much as an
        interpreter under /root does; the other paths are visible through the read-only root anyway.
        """
        covered = [Path("/tmp"), *self.hidden()]
        return [p for p in self.expose if p.exists() and any(_inside(p, h) for h in covered)]

    def build_argv(self, argv: list[str], cwd: Path, env: dict[str, str], allow_loopback: bool,
                   tmp_mb: int = Limits.file_mb, shm_mb: int = Limits.shm_mb,
                   proxy_socket_dir: Path | None = None, status_fd: int | None = None) -> list[str]:
        """The full bwrap command line (public so tests and `hybrid-eval env` can show it).

        ``proxy_socket_dir`` (a host directory holding the bridge's unix socket) is bound read-only at
        `PROXY_SOCKET_DIR`; the caller wraps ``argv`` in the relay (see `run`).
        """
        cwd = Path(cwd).resolve()
        cmd = [self.bwrap, "--unshare-all"]
        if status_fd is not None:
            cmd += ["--json-status-fd", str(status_fd)]
        if allow_loopback:
            cmd.append("--share-net")
        cmd += ["--cap-drop", "ALL", "--die-with-parent", "--new-session", "--ro-bind", "/", "/",
                "--dev", "/dev", "--perms", "1777", "--size", str(shm_mb * 1024 * 1024), "--tmpfs", "/dev/shm",
                "--remount-ro", "/dev", "--proc", "/proc",
                "--size", str(tmp_mb * 1024 * 1024), "--tmpfs", "/tmp"]  # fmt: skip
        cmd += mount_plan(self.hidden(), self.exposed(), cwd)
        if proxy_socket_dir is not None:
            cmd += ["--ro-bind", str(proxy_socket_dir), str(PROXY_SOCKET_DIR)]
        cmd += ["--chdir", str(cwd), "--clearenv"]
        for key, value in env.items():
            cmd += ["--setenv", key, value]
        cmd.append("--")
        return cmd + list(argv)

    def run(
        self,
        argv: list[str],
        cwd: Path,
        limits: Limits,
        env: dict[str, str] | None = None,
        allow_loopback: bool = False,
        proxy_port: int | None = None,
    ) -> SandboxResult:
        """Run ``argv``; with ``proxy_port`` the command reaches ``127.0.0.1:proxy_port`` and nothing else."""
        cwd = Path(cwd).resolve()
        run_env = dict(env) if env is not None else minimal_env(cwd)
        bridge = ProxyBridge(proxy_port) if proxy_port is not None and not allow_loopback else None
        try:
            if bridge is not None:
                relay = [sys.executable, "-I", str(_PACKAGE_DIR / "sandbox" / "netrelay.py"),
                         str(PROXY_SOCKET_DIR / SOCKET_NAME), str(proxy_port), "--"]  # fmt: skip
                argv = relay + list(argv)
            status_r, status_w = os.pipe()
            try:
                cmd = self.build_argv(argv, cwd, run_env, allow_loopback, tmp_mb=limits.file_mb, shm_mb=limits.shm_mb,
                                      proxy_socket_dir=bridge.dir if bridge else None, status_fd=status_w)
                # bwrap itself needs only PATH; the command's environment is passed with --setenv
                raw = run_group(cmd, cwd, {"PATH": minimal_env(cwd)["PATH"]}, limits, use_cgroup=self.use_cgroup,
                                pass_fds=(status_w,))
            finally:
                os.close(status_w)
                status = _read_status(status_r)
        finally:
            if bridge is not None:
                bridge.close()
        code = raw.returncode
        signum: int | None = None
        if code is not None and code < 0:  # bwrap itself was killed
            signum = -code
        elif code is not None and 128 < code < 128 + 65:
            # bwrap reports a child killed by signal N as 128+N; normalise to Python's -N (a command
            # that exits 129..192 on purpose is read as a signal death — documented ambiguity)
            signum = code - 128
            code = -signum
        result = classify(raw, signum, code)
        result.extra["started"] = "true" if any("exit-code" in rec for rec in status) else "false"
        result.extra["network"] = "loopback+host" if allow_loopback else ("proxy-only" if bridge else "none")
        result.extra["exposed"] = ",".join(str(p) for p in self.exposed())
        return result
