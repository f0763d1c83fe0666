"""The ``bwrap`` sandbox: bubblewrap namespaces for machines without a Docker engine.

The command sees a read-only copy of ``/`` with private ``/dev``, ``/proc`` and ``/tmp``; ``/root``,
``/home`` and every path in ``hide`` are covered by empty tmpfs mounts (so the user's secrets and the
task's reference solutions are unreadable); the working directory is bound read-write *after* those
mounts, so it stays visible even when it lives under ``/tmp`` or a hidden directory. All namespaces are
unshared: no network at all, unless ``allow_loopback`` keeps the host network so an agent can reach the
127.0.0.1 routing proxy (recorded in ``extra["network"]``). The environment is cleared and rebuilt from
``env`` only. Because the Python that runs the tests may itself live under a hidden directory (pyenv
keeps it in ``/root/.pyenv``), the running interpreter's prefixes are bound back read-only (``expose``;
listed in ``extra["exposed"]``) — an interpreter, not a secret. Memory/CPU rlimits are set before bwrap starts and are inherited inside; the pids cgroup
(when writable) contains bwrap and everything below it. A wall timeout kills bwrap's process group, and
``--die-with-parent`` plus the pid namespace take everything inside down with it.

Capabilities: bwrap started by root keeps *every* capability inside unless told otherwise, and with
CAP_SYS_ADMIN a command can ``umount /root`` (uncovering the user's home) or ``mount -o remount,rw /``
(writing host files). ``--cap-drop ALL`` is therefore always passed. tmpfs mounts are sized (``--size``):
``/tmp`` holds at most ``limits.file_mb`` and the hiding mounts almost nothing, because tmpfs pages are
host memory that RLIMIT_AS does not count.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from pytest_hybrid_eval.sandbox._proc import classify, minimal_env, run_group
from pytest_hybrid_eval.sandbox.base import Limits, SandboxResult

BWRAP = "bwrap"
_ALWAYS_HIDDEN = (Path("/root"), Path("/home"))
_HIDING_TMPFS_BYTES = 1024 * 1024  # only mount points live there


def _inside(path: Path, parent: Path) -> bool:
    return path == parent or parent in path.parents


def runtime_paths() -> list[Path]:
    """Directories the current interpreter needs: its installation and (if any) its virtualenv."""
    paths = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(), Path(sys.executable).resolve().parent}
    return sorted(p for p in paths if p.is_dir() and not any(q != p and _inside(p, q) for q in paths))


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

    def exposed(self) -> list[Path]:
        """The ``expose`` paths that a private tmpfs (/tmp, homes) would otherwise cover.

        A virtualenv created under /tmp (a fresh clone there, CI in a temp dir) needs this as much as an
        interpreter under /root does; the other paths are visible through the read-only root anyway.
        """
        covered = [Path("/tmp"), *(h for h in _ALWAYS_HIDDEN if h.is_dir())]
        return [p for p in self.expose if p.exists() and any(_inside(p, h) for h in covered)]

    def build_argv(self, argv: list[str], cwd: Path, env: dict[str, str], allow_loopback: bool,
                   tmp_mb: int = Limits.file_mb) -> list[str]:
        """The full bwrap command line (public so tests and `hybrid-eval env` can show it)."""
        cwd = Path(cwd).resolve()
        hiding = ["--size", str(_HIDING_TMPFS_BYTES), "--tmpfs"]
        cmd = [self.bwrap, "--unshare-all"]
        if allow_loopback:
            cmd.append("--share-net")
        cmd += ["--cap-drop", "ALL", "--die-with-parent", "--new-session", "--ro-bind", "/", "/",
                "--dev", "/dev", "--proc", "/proc"]  # fmt: skip
        cmd += ["--size", str(tmp_mb * 1024 * 1024), "--tmpfs", "/tmp"]
        home_dirs = [p for p in _ALWAYS_HIDDEN if p.is_dir()]
        for p in home_dirs:
            cmd += [*hiding, str(p)]
        for p in self.exposed():
            cmd += ["--ro-bind", str(p), str(p)]
        hidden = [p for p in self.hide if p.is_dir() and p != Path("/")]
        # a hidden directory that contains cwd must be mounted before cwd is bound back; one inside cwd
        # (e.g. a reference/ under a repo used as cwd) must come after, or the bind would uncover it
        before = [p for p in hidden if _inside(cwd, p)]
        after = [p for p in hidden if not _inside(cwd, p)]
        for p in before:
            cmd += [*hiding, str(p)]
        cmd += ["--bind", str(cwd), str(cwd)]
        for p in after:
            cmd += [*hiding, str(p)]
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
    ) -> SandboxResult:
        cwd = Path(cwd).resolve()
        run_env = dict(env) if env is not None else minimal_env(cwd)
        cmd = self.build_argv(argv, cwd, run_env, allow_loopback, tmp_mb=limits.file_mb)
        # bwrap itself needs only PATH; the command's environment is passed with --setenv
        raw = run_group(cmd, cwd, {"PATH": minimal_env(cwd)["PATH"]}, limits, use_cgroup=self.use_cgroup)
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
        result.extra["network"] = "loopback+host" if allow_loopback else "none"
        result.extra["exposed"] = ",".join(str(p) for p in self.exposed())
        return result
