"""The ``docker`` sandbox: one throw-away container per command, through the docker SDK.

Why each part of the container spec (``container_spec``, public so tests can check it without an engine):

- ``network_mode="none"``: no interface but loopback *inside* the container, so neither the routing
  proxy on the host's 127.0.0.1 nor the internet is reachable. ``allow_loopback`` switches to the host
  network (the only way to reach a proxy bound to the host's loopback) and says so in ``extra``.
- ``read_only`` root, ``tmpfs`` ``/tmp`` sized by ``limits.file_mb``, ``/dev/shm`` by ``limits.shm_mb``, and
  the work dir bound read-write at the same path: the work dir is the only writable place that outlives
  the run. (Its total-size quota, ``limits.disk_mb``, is enforced by the process and bwrap kinds only.)
- ``cap_drop=["ALL"]`` and ``no-new-privileges``: no mount, no ptrace, no raw sockets, no setuid gain.
- A non-root ``user`` (default nobody, 65534): even a kernel or runtime bug that exposes a host file
  meets ordinary permissions. The work dir is handed to that user for the run and given back afterwards.
- ``pids_limit``, ``mem_limit`` (= ``memswap_limit``, so no swap), ``nano_cpus`` and rlimits for CPU
  seconds, file size, processes and open files. Explicit ulimits matter beyond hygiene: podman with the
  runc runtime refuses to start a container whose inherited NPROC limit it cannot set (docs/ARCHITECTURE.md, "Sandboxes").
- ``environment`` is exactly ``env`` (nothing from the harness), the image's own entry point is cleared.

A wall timeout kills the container; the container is always removed. Output is streamed while the
command runs and the container is killed past ``limits.output_bytes``, so a runaway printer costs
neither memory nor time. The docker SDK is imported lazily: the module must import without it so
``select`` can say why the kind is unavailable.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from pathlib import Path
from typing import Any

from pytest_hybrid_eval.errors import HybridEvalError
from pytest_hybrid_eval.sandbox._proc import TAIL_BYTES, minimal_env
from pytest_hybrid_eval.sandbox.base import LimitHit, Limits, SandboxResult

DEFAULT_IMAGE = "python:3.11-slim"
NOBODY = "65534:65534"
_NOFILE = 1024
_OOM_EXIT = 137


def _inside(path: Path, parent: Path) -> bool:
    return path == parent or parent in path.parents


class DockerSandbox:
    """Runs each command in a fresh container; ``expose`` adds read-only host directories (same path)."""

    kind = "docker"
    isolated = True

    def __init__(
        self,
        image: str = DEFAULT_IMAGE,
        hide: list[Path] | None = None,
        expose: list[Path] | None = None,
        user: str = NOBODY,
        cpus: float = 1.0,
        base_url: str | None = None,
        client: Any = None,
    ) -> None:
        self.image = image
        self.hide = [Path(p).resolve() for p in (hide or [])]
        self.expose = [Path(p).resolve() for p in (expose or [])]
        self.user = user
        self.cpus = cpus
        self.base_url = base_url
        self._client = client

    def client(self) -> Any:
        """The SDK client (created on first use; ``base_url`` or the DOCKER_HOST environment)."""
        if self._client is None:
            import docker  # type: ignore[import-not-found]

            self._client = (docker.DockerClient(base_url=self.base_url, timeout=30) if self.base_url
                            else docker.from_env(timeout=30))  # fmt: skip
        return self._client

    def mounts(self, cwd: Path) -> dict[str, dict[str, str]]:
        """Bind mounts: the work dir read-write, ``expose`` read-only; nothing inside a hidden path."""
        out = {str(cwd): {"bind": str(cwd), "mode": "rw"}}
        for p in self.expose:
            if p.is_dir() and not _inside(p, cwd) and not any(_inside(p, h) for h in self.hide):
                out[str(p)] = {"bind": str(p), "mode": "ro"}
        return out

    def container_spec(self, argv: list[str], cwd: Path, limits: Limits, env: dict[str, str],
                       allow_loopback: bool) -> dict[str, Any]:
        """Keyword arguments for ``client.containers.create`` (see the module docstring for why)."""
        from docker.types import Ulimit  # type: ignore[import-not-found]

        cwd = Path(cwd).resolve()
        memory = f"{limits.memory_mb}m"
        file_bytes = limits.file_mb * 1024 * 1024
        return {
            "image": self.image,
            "command": list(argv),
            "entrypoint": [],
            "working_dir": str(cwd),
            "environment": dict(env),
            "user": self.user,
            "network_mode": "host" if allow_loopback else "none",
            "read_only": True,
            "tmpfs": {"/tmp": f"rw,nosuid,nodev,size={limits.file_mb}m,mode=1777"},
            "shm_size": f"{limits.shm_mb}m",
            "volumes": self.mounts(cwd),
            "cap_drop": ["ALL"],
            "security_opt": ["no-new-privileges"],
            "pids_limit": limits.pids,
            "mem_limit": memory,
            "memswap_limit": memory,
            "nano_cpus": int(self.cpus * 1e9),
            "ulimits": [
                Ulimit(name="cpu", soft=limits.cpu_s, hard=limits.cpu_s + 1),
                Ulimit(name="fsize", soft=file_bytes, hard=file_bytes),
                Ulimit(name="nproc", soft=limits.pids, hard=limits.pids),
                Ulimit(name="nofile", soft=_NOFILE, hard=_NOFILE),
                Ulimit(name="core", soft=0, hard=0),
            ],
            "labels": {"pytest-hybrid-eval": "sandbox"},
            "detach": True,
            "stdin_open": False,
            "tty": False,
        }

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
        spec = self.container_spec(argv, cwd, limits, run_env, allow_loopback)
        start = time.monotonic()
        owner = _hand_over(cwd, self.user)
        container = None
        try:
            container = self.client().containers.create(**spec)
            container.start()
            out = _Output(container, limits.output_bytes)
            out.start()
            code: int | None = None
            hit: LimitHit | None = None
            try:
                status = container.wait(timeout=max(0.1, limits.wall_s - (time.monotonic() - start)))
                code = int(status.get("StatusCode", -1))
            except Exception:  # the SDK raises requests' ReadTimeout/ConnectionError on a wall timeout
                hit = "wall"
                with contextlib.suppress(Exception):
                    container.kill()
            out.join(5)
            if out.exceeded:
                hit = "output"
            elif hit is None and code not in (0, None):
                with contextlib.suppress(Exception):
                    container.reload()
                state = (getattr(container, "attrs", None) or {}).get("State", {})
                if state.get("OOMKilled") or code == _OOM_EXIT:
                    hit = "memory"
                elif code == 128 + 24:  # SIGXCPU
                    hit = "cpu"
        finally:
            if container is not None:
                with contextlib.suppress(Exception):
                    container.remove(force=True)
            _give_back(cwd, owner)
        if code is not None and 128 < code <= 128 + 64:
            code = -(code - 128)  # killed by a signal: Python's convention, as the other kinds report it
        extra = {"network": "host" if allow_loopback else "none", "image": self.image,
                 "output_bytes": str(out.total), "pids_cap": "container"}  # fmt: skip
        return SandboxResult(
            exit_code=None if hit == "wall" else code,
            output_tail=bytes(out.tail).decode("utf-8", errors="replace"),
            duration_s=time.monotonic() - start,
            limit_hit=hit,
            extra=extra,
        )


class _Output(threading.Thread):
    """Follows the container's log stream, keeping the tail and killing the container past the cap."""

    def __init__(self, container: Any, cap: int) -> None:
        super().__init__(daemon=True)
        self.container = container
        self.cap = cap
        self.tail = bytearray()
        self.total = 0
        self.exceeded = False

    def run(self) -> None:
        try:
            for chunk in self.container.logs(stdout=True, stderr=True, stream=True, follow=True):
                self.total += len(chunk)
                self.tail += chunk
                if len(self.tail) > TAIL_BYTES:
                    del self.tail[: len(self.tail) - TAIL_BYTES]
                if self.total > self.cap:
                    self.exceeded = True
                    with contextlib.suppress(Exception):
                        self.container.kill()
                    return
        except Exception:  # noqa: BLE001 - the container went away mid-stream; what we have is the output
            return


def _uid_gid(user: str) -> tuple[int, int] | None:
    uid, _, gid = user.partition(":")
    if not uid.isdigit():
        return None
    return int(uid), int(gid) if gid.isdigit() else int(uid)


def _chown_tree(root: Path, uid: int, gid: int) -> None:
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames]:
            with contextlib.suppress(OSError):
                os.chown(os.path.join(dirpath, name), uid, gid, follow_symlinks=False)
    with contextlib.suppress(OSError):
        os.chown(root, uid, gid)


#: directories other processes use: chowning one of them (even briefly) breaks everything living under it
_SHARED_DIRS = {Path(p) for p in ("/", "/tmp", "/var/tmp", "/root", "/home", "/usr", "/etc", "/var", "/opt", "/srv")}


def _check_private(cwd: Path) -> None:
    resolved = cwd.resolve()
    if resolved in _SHARED_DIRS or resolved == Path.home().resolve():
        raise HybridEvalError(f"docker sandbox: {resolved} is not a private work directory (it is chowned to the "
                              "container user for the run); pass a directory made for this run")


def _hand_over(cwd: Path, user: str) -> tuple[int, int] | None:
    """Make the work dir writable by the container's non-root user; return the owner to restore."""
    _check_private(cwd)
    ids = _uid_gid(user)
    st = cwd.stat()
    if ids is None or os.geteuid() != 0 or (st.st_uid, st.st_gid) == ids:
        return None
    _chown_tree(cwd, *ids)
    return st.st_uid, st.st_gid


def _give_back(cwd: Path, owner: tuple[int, int] | None) -> None:
    if owner is not None:
        _chown_tree(cwd, *owner)
