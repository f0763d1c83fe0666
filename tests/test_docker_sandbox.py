"""The ``docker`` sandbox: the container spec it builds (no engine needed) and, where a Docker-API engine
answers, real runs against it.

Engine: ``HYBRID_EVAL_DOCKER_HOST`` or ``DOCKER_HOST``, else podman's Docker-compatible service at
``unix:///tmp/podman.sock`` (``podman --runtime runc system service --time=0 unix:///tmp/podman.sock``).
Nothing can be pulled here, so the engine tests import an empty image and bind the host's ``/usr``,
merged ``/lib*`` and ``/bin`` links read-only (``expose``) to get a Python; the spec is the production one.
"""

from __future__ import annotations

import io
import os
import socket
import tarfile
import uuid
from pathlib import Path
from typing import Any

import pytest

from pytest_hybrid_eval.config import SandboxConfig
from pytest_hybrid_eval.errors import HybridEvalError
from pytest_hybrid_eval.sandbox import select as sandbox_select
from pytest_hybrid_eval.sandbox.base import Limits, Sandbox
from pytest_hybrid_eval.sandbox.docker import DEFAULT_IMAGE, DockerSandbox

docker = pytest.importorskip("docker")

LIMITS = Limits(wall_s=20, memory_mb=256, cpu_s=10, pids=32, output_bytes=100_000, file_mb=16)
EMPTY_IMAGE = "localhost/hybrid-eval-empty:latest"
HOST_RUNTIME = [Path("/usr")]
MERGED_USR = [n for n in ("lib", "lib64", "bin", "sbin") if Path("/", n).is_symlink()]  # Debian: lib -> usr/lib
PY = "/usr/bin/python3"


# -- the spec, with a minimal fake SDK client --------------------------------------------------------------


class FakeContainer:
    def __init__(self, status: int, logs: list[bytes]) -> None:
        self.status, self._logs = status, logs
        self.calls: list[str] = []
        self.attrs: dict[str, Any] = {"State": {"OOMKilled": False}}

    def start(self) -> None:
        self.calls.append("start")

    def wait(self, timeout: float) -> dict[str, int]:
        self.calls.append(f"wait {timeout:.0f}")
        return {"StatusCode": self.status}

    def logs(self, **kw: Any) -> list[bytes]:
        return self._logs

    def kill(self) -> None:
        self.calls.append("kill")

    def reload(self) -> None:
        self.calls.append("reload")

    def remove(self, force: bool) -> None:
        self.calls.append(f"remove force={force}")


class FakeContainers:
    def __init__(self, container: FakeContainer) -> None:
        self.container = container
        self.kwargs: dict[str, Any] = {}

    def create(self, **kwargs: Any) -> FakeContainer:
        self.kwargs = kwargs
        return self.container


class FakeClient:
    def __init__(self, status: int = 0, logs: list[bytes] | None = None) -> None:
        self.containers = FakeContainers(FakeContainer(status, logs or [b"hello\n"]))


def test_container_spec_is_locked_down(tmp_path: Path) -> None:
    client = FakeClient()
    hidden = tmp_path / "suites"
    hidden.mkdir()
    sb = DockerSandbox(client=client, hide=[hidden], expose=[hidden, *HOST_RUNTIME])
    assert isinstance(sb, Sandbox) and sb.kind == "docker" and sb.isolated is True
    env = {"PATH": "/usr/bin", "HOME": str(tmp_path)}
    res = sb.run(["python", "-c", "1"], tmp_path, LIMITS, env=env)
    kw = client.containers.kwargs
    assert kw["image"] == DEFAULT_IMAGE and kw["command"] == ["python", "-c", "1"]
    assert kw["network_mode"] == "none" and kw["read_only"] is True
    assert kw["cap_drop"] == ["ALL"] and kw["security_opt"] == ["no-new-privileges"]
    assert kw["tmpfs"] == {"/tmp": "rw,nosuid,nodev,size=16m,mode=1777"}
    assert (kw["pids_limit"], kw["mem_limit"], kw["memswap_limit"], kw["nano_cpus"]) == (32, "256m", "256m", 10**9)
    assert kw["user"] == "65534:65534" and kw["environment"] == env and kw["entrypoint"] == []
    assert kw["working_dir"] == str(tmp_path.resolve())
    # the work dir is the only writable mount; a hidden directory is never mounted even if exposed
    assert kw["volumes"][str(tmp_path.resolve())] == {"bind": str(tmp_path.resolve()), "mode": "rw"}
    assert [v["mode"] for v in kw["volumes"].values()].count("rw") == 1
    assert str(hidden.resolve()) not in kw["volumes"]
    limits = {u["Name"]: (u["Soft"], u["Hard"]) for u in kw["ulimits"]}
    assert limits["nproc"] == (32, 32) and limits["cpu"] == (10, 11) and limits["fsize"] == (16 << 20, 16 << 20)
    assert (res.exit_code, res.output_tail, res.limit_hit) == (0, "hello\n", None)
    assert client.containers.container.calls[-1] == "remove force=True"
    # ownership of the work dir is given back after the run
    assert tmp_path.stat().st_uid == os.geteuid()


def test_loopback_and_exit_classification(tmp_path: Path) -> None:
    client = FakeClient(status=137, logs=[b"x" * 10])
    sb = DockerSandbox(client=client, image="img:1")
    res = sb.run(["true"], tmp_path, LIMITS, env={}, allow_loopback=True)
    assert client.containers.kwargs["network_mode"] == "host" and res.extra["network"] == "host"
    assert (res.exit_code, res.limit_hit) == (-9, "memory")
    big = FakeClient(status=0, logs=[b"y" * 60_000, b"y" * 60_000, b"never read"])
    res2 = DockerSandbox(client=big).run(["true"], tmp_path, LIMITS, env={})
    assert res2.limit_hit == "output" and "kill" in big.containers.container.calls
    assert len(res2.output_tail) <= 8192


@pytest.mark.parametrize("shared", ["/", "/tmp", "/var/tmp", "/root", "/home"])
def test_refuses_a_shared_system_directory_as_work_dir(shared: str) -> None:
    """The work dir is chowned to the container user for the run: never a directory others use."""
    client = FakeClient(status=0, logs=[])
    with pytest.raises(HybridEvalError, match="not a private work directory"):
        DockerSandbox(client=client).run(["true"], Path(shared), LIMITS, env={})
    assert client.containers.kwargs == {}  # no container was created


def test_auto_never_picks_docker_without_an_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/hybrid-eval-docker.sock")
    sandbox_select.probe_docker.cache_clear()
    try:
        reason = sandbox_select.probe_docker()
        assert reason is not None and "not reachable" in reason
        sb = sandbox_select.make_sandbox(SandboxConfig(kind="auto"))
        assert sb.kind != "docker"
    finally:
        sandbox_select.probe_docker.cache_clear()


def test_select_builds_this_class_when_an_engine_answers(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(sandbox_select, "probe_docker", lambda: None)
    sb = sandbox_select.make_sandbox(SandboxConfig(kind="docker"), hide=[tmp_path])
    assert isinstance(sb, DockerSandbox) and sb.hide == [tmp_path.resolve()]


# -- a real engine -----------------------------------------------------------------------------------------


def _engine_url() -> str:
    url = os.environ.get("HYBRID_EVAL_DOCKER_HOST") or os.environ.get("DOCKER_HOST")
    return url or "unix:///tmp/podman.sock"


def _engine() -> tuple[Any, str | None]:
    try:
        client = docker.DockerClient(base_url=_engine_url(), timeout=10)
        client.ping()
    except Exception as exc:  # noqa: BLE001 - any failure means: skip, with the reason
        return None, f"no Docker-API engine at {_engine_url()}: {str(exc).splitlines()[0][:150] if str(exc) else exc!r}"
    return client, None


ENGINE, ENGINE_REASON = _engine()
needs_engine = pytest.mark.skipif(ENGINE is None, reason=str(ENGINE_REASON))


@pytest.fixture(scope="module")
def sandbox() -> DockerSandbox:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name in ("tmp", "etc", "proc", "dev", "sys"):
            info = tarfile.TarInfo(name)
            info.type, info.mode = tarfile.DIRTYPE, 0o1777 if name == "tmp" else 0o755
            tar.addfile(info)
        for name in MERGED_USR:
            link = tarfile.TarInfo(name)
            link.type, link.linkname = tarfile.SYMTYPE, os.readlink(Path("/", name))
            tar.addfile(link)
    ENGINE.api.import_image_from_data(buf.getvalue(), repository=EMPTY_IMAGE.rsplit(":", 1)[0], tag="latest")
    return DockerSandbox(image=EMPTY_IMAGE, expose=HOST_RUNTIME, base_url=_engine_url())


def _py(sb: DockerSandbox, code: str, cwd: Path, limits: Limits = LIMITS, **env: str) -> Any:
    return sb.run([PY, "-c", code], cwd, limits, env={"PATH": "/usr/bin:/bin", **env})


@needs_engine
def test_engine_runs_as_nobody_with_exact_env_and_no_caps(sandbox: DockerSandbox, tmp_path: Path) -> None:
    code = ("import os; print(os.getuid(), sorted(os.environ)); "
            "print([l.split()[1] for l in open('/proc/self/status') if l.startswith('CapEff')][0])")  # fmt: skip
    res = _py(sandbox, code, tmp_path, ONLY="1", LANG="C.UTF-8")
    assert res.exit_code == 0, res.output_tail
    uid_env, caps = res.output_tail.strip().splitlines()[-2:]
    uid, names = uid_env.split(" ", 1)
    assert uid == "65534"
    # exactly the env given, plus what the engine itself always sets (HOSTNAME; podman adds container=)
    assert set(eval(names)) - {"HOSTNAME", "container", "TERM", "HOME"} == {"ONLY", "PATH", "LANG"}
    assert caps == "0000000000000000"


@needs_engine
def test_engine_work_dir_is_the_only_writable_place(sandbox: DockerSandbox, tmp_path: Path) -> None:
    marker = uuid.uuid4().hex
    code = f"""
import os
ok = []
for p in ["mine.txt", "/tmp/t.txt", "/etc/{marker}", "/usr/{marker}", "/{marker}"]:
    try:
        open(p, "w").write("x"); ok.append(p)
    except OSError:
        pass
print(ok)
"""
    res = _py(sandbox, code, tmp_path)
    assert res.exit_code == 0, res.output_tail
    assert res.output_tail.strip().splitlines()[-1] == "['mine.txt', '/tmp/t.txt']"
    assert (tmp_path / "mine.txt").read_text() == "x" and (tmp_path / "mine.txt").stat().st_uid == os.geteuid()
    assert not Path(f"/etc/{marker}").exists() and not Path(f"/usr/{marker}").exists()


@needs_engine
def test_engine_blocks_network_and_caps_resources(sandbox: DockerSandbox, tmp_path: Path) -> None:
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    try:
        code = f"""
import socket
for addr in [("127.0.0.1", {port}), ("192.0.2.1", 80)]:
    try:
        socket.create_connection(addr, timeout=1).close(); print("CONNECTED", addr)
    except OSError as e:
        print("blocked", addr)
"""
        res = _py(sandbox, code, tmp_path)
        assert "CONNECTED" not in res.output_tail and res.output_tail.count("blocked") == 2
    finally:
        srv.close()
    mem = _py(sandbox, "b = bytearray(1024 ** 3); b[::4096] = b'x' * len(b[::4096])", tmp_path)
    assert mem.exit_code != 0 and mem.limit_hit == "memory", mem
    wall = _py(sandbox, "import time; time.sleep(100)", tmp_path, Limits(**{**LIMITS.__dict__, "wall_s": 2}))
    assert wall.limit_hit == "wall" and wall.duration_s < 10
    out = _py(sandbox, "import sys\nfor _ in range(10**4): sys.stdout.write('z' * 1000)", tmp_path)
    assert out.limit_hit == "output"
    assert not any(c.labels.get("pytest-hybrid-eval") for c in ENGINE.containers.list(all=True))
