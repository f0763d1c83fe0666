"""The sandbox kinds do what ARCHITECTURE §6 promises: caps, no orphans, no inherited secrets, no network."""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
import warnings
from pathlib import Path

import pytest

from pytest_hybrid_eval.config import SandboxConfig
from pytest_hybrid_eval.errors import HybridEvalError
from pytest_hybrid_eval.sandbox import select as sandbox_select
from pytest_hybrid_eval.sandbox.base import Limits, Sandbox
from pytest_hybrid_eval.sandbox.bwrap import BwrapSandbox
from pytest_hybrid_eval.sandbox.process import ProcessSandbox

BWRAP_REASON = sandbox_select.probe_bwrap()
needs_bwrap = pytest.mark.skipif(BWRAP_REASON is not None, reason=f"bwrap unusable: {BWRAP_REASON}")
PY = sys.executable


@pytest.fixture(params=["process", pytest.param("bwrap", marks=needs_bwrap)])
def sandbox(request: pytest.FixtureRequest) -> Sandbox:
    return ProcessSandbox() if request.param == "process" else BwrapSandbox()


@pytest.fixture
def work(tmp_path: Path) -> Path:
    d = tmp_path / "work"
    d.mkdir()
    return d


def _alive_with(marker: str) -> list[int]:
    """Pids whose command line contains ``marker`` (read from /proc, not pgrep, to match exactly)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if marker in cmdline and int(entry.name) != os.getpid():
            found.append(int(entry.name))
    return found


def _marker() -> str:
    # a unique sleep duration doubles as a marker on the command line
    return f"1000.{uuid.uuid4().int % 10**9:09d}"


def test_exit_code_and_output(sandbox: Sandbox, work: Path) -> None:
    res = sandbox.run(["sh", "-c", "echo out; echo err >&2; exit 7"], work, Limits(wall_s=10))
    assert res.exit_code == 7
    assert "out" in res.output_tail and "err" in res.output_tail
    assert res.limit_hit is None and not res.timed_out
    ok = sandbox.run(["true"], work, Limits(wall_s=10))
    assert ok.exit_code == 0 and ok.output_tail == ""


def test_wall_timeout_kills_grandchildren(sandbox: Sandbox, work: Path) -> None:
    marker = _marker()
    start = time.monotonic()
    res = sandbox.run(["sh", "-c", f"sleep {marker} & sleep {marker} & wait"], work, Limits(wall_s=1))
    assert time.monotonic() - start < 5
    assert res.limit_hit == "wall" and res.timed_out and res.exit_code is None
    time.sleep(0.2)
    assert _alive_with(marker) == []


def test_background_child_does_not_outlive_a_finished_command(sandbox: Sandbox, work: Path) -> None:
    marker = _marker()
    start = time.monotonic()
    res = sandbox.run(["sh", "-c", f"sleep {marker} & echo started"], work, Limits(wall_s=20))
    assert time.monotonic() - start < 5, "the run waited for the background child instead of killing it"
    assert res.exit_code == 0 and "started" in res.output_tail
    time.sleep(0.2)
    assert _alive_with(marker) == []


def test_environment_is_exactly_the_given_one(sandbox: Sandbox, work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HYBRID_SENTINEL_SECRET", "do-not-leak")
    res = sandbox.run(["env"], work, Limits(wall_s=10), env={"PATH": "/usr/bin:/bin", "ONLY_THIS": "1"})
    assert "do-not-leak" not in res.output_tail
    assert "ONLY_THIS=1" in res.output_tail
    default = sandbox.run(["env"], work, Limits(wall_s=10))
    assert "do-not-leak" not in default.output_tail
    assert f"HOME={work.resolve()}" in default.output_tail.splitlines()


def test_memory_cap(sandbox: Sandbox, work: Path) -> None:
    start = time.monotonic()
    res = sandbox.run([PY, "-c", "b = bytearray(2 * 1024**3); print('allocated')"], work, Limits(wall_s=20, memory_mb=512))
    assert time.monotonic() - start < 5
    assert res.exit_code != 0 and "allocated" not in res.output_tail
    assert res.limit_hit == "memory"


def test_cpu_cap(sandbox: Sandbox, work: Path) -> None:
    res = sandbox.run([PY, "-c", "while True: pass"], work, Limits(wall_s=20, cpu_s=1))
    assert res.limit_hit == "cpu"
    assert res.exit_code != 0 and res.duration_s < 5


def test_output_cap_keeps_memory_bounded(sandbox: Sandbox, work: Path) -> None:
    code = "import sys\nfor _ in range(5000): sys.stdout.write('x' * 1000 + '\\n')\nprint('END')"
    res = sandbox.run([PY, "-c", code], work, Limits(wall_s=20, output_bytes=100_000))
    assert res.limit_hit == "output"
    assert len(res.output_tail) <= 8192
    assert int(res.extra["output_bytes"]) < 200_000  # stopped reading soon after the cap
    assert "END" not in res.output_tail


def test_pids_cap_when_cgroup_is_available(sandbox: Sandbox, work: Path) -> None:
    res = sandbox.run(["sh", "-c", "for i in $(seq 60); do sleep 2 & done; wait"], work, Limits(wall_s=20, pids=16))
    if not res.extra["pids_cap"].startswith("cgroup"):
        pytest.skip(f"no pids cgroup here: {res.extra['pids_cap']}")
    assert res.limit_hit == "pids"


# -- bwrap isolation ------------------------------------------------------------------------------------


@pytest.fixture
def listener():
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    yield srv.getsockname()[1]
    srv.close()


CONNECT = (
    "import socket, sys\n"
    "s = socket.socket()\ns.settimeout(2)\n"
    "try:\n    s.connect(('127.0.0.1', int(sys.argv[1])))\n    print('CONNECTED')\n"
    "except OSError as e:\n    print('REFUSED', e)\n"
)


@needs_bwrap
def test_bwrap_has_no_network_unless_loopback_allowed(work: Path, listener: int) -> None:
    sb = BwrapSandbox()
    blocked = sb.run([PY, "-c", CONNECT, str(listener)], work, Limits(wall_s=10))
    assert "REFUSED" in blocked.output_tail and "CONNECTED" not in blocked.output_tail
    assert blocked.extra["network"] == "none"
    allowed = sb.run([PY, "-c", CONNECT, str(listener)], work, Limits(wall_s=10), allow_loopback=True)
    assert "CONNECTED" in allowed.output_tail
    assert allowed.extra["network"] != "none"


@needs_bwrap
def test_bwrap_hides_home_directories(work: Path) -> None:
    secret = Path("/root") / f".hybrid-secret-{uuid.uuid4().hex}"
    try:
        secret.write_text("TOP-SECRET")
    except OSError:
        pytest.skip("cannot write a probe file in /root")
    try:
        script = f'cat {secret}; echo "HOME_LIST:$(ls -A /home)"'
        res = BwrapSandbox().run(["sh", "-c", script], work, Limits(wall_s=10))
        assert "TOP-SECRET" not in res.output_tail
        assert "No such file" in res.output_tail
        assert "HOME_LIST:" in res.output_tail.splitlines()  # /home is an empty tmpfs inside
    finally:
        secret.unlink()


@needs_bwrap
def test_bwrap_writes_outside_cwd_do_not_reach_the_host(work: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    sb = BwrapSandbox()
    res = sb.run(["sh", "-c", f"echo x > {outside}; echo y > inside.txt"], work, Limits(wall_s=10))
    assert res.exit_code == 0
    assert not outside.exists()  # /tmp is a private tmpfs inside
    assert (work / "inside.txt").read_text() == "y\n"
    ro = sb.run(["sh", "-c", "echo x > /usr/hybrid-probe"], work, Limits(wall_s=10))
    assert ro.exit_code != 0 and "Read-only" in ro.output_tail
    assert not Path("/usr/hybrid-probe").exists()


@needs_bwrap
def test_bwrap_hide_covers_given_dirs_but_not_cwd_inside_them(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "reference").mkdir(parents=True)
    (repo / "reference" / "solution.py").write_text("ANSWER = 42\n")
    cwd = repo / "run"
    cwd.mkdir()
    (cwd / "mine.txt").write_text("visible\n")
    sb = BwrapSandbox(hide=[repo / "reference"])
    res = sb.run(["sh", "-c", f"cat mine.txt; cat {repo}/reference/solution.py"], cwd, Limits(wall_s=10))
    assert "visible" in res.output_tail and "ANSWER" not in res.output_tail
    # a cwd *inside* a hidden directory is bound back after the tmpfs
    sb2 = BwrapSandbox(hide=[repo])
    res2 = sb2.run(["cat", "mine.txt"], cwd, Limits(wall_s=10))
    assert res2.output_tail == "visible\n"


@needs_bwrap
def test_bwrap_start_overhead_is_small(work: Path) -> None:
    """Median extra cost of starting through bwrap, 20 runs each (ARCHITECTURE §6 measured ~21 ms)."""
    argv = BwrapSandbox().build_argv(["true"], work, {"PATH": "/usr/bin:/bin"}, False)

    def median_s(cmd: list[str]) -> float:
        times = []
        for _ in range(20):
            t = time.perf_counter()
            subprocess.run(cmd, check=True)
            times.append(time.perf_counter() - t)
        return statistics.median(times)

    overhead = median_s(argv) - median_s(["true"])
    print(f"bwrap per-start overhead: {overhead * 1000:.1f} ms")
    assert overhead < 0.25


# -- selection ------------------------------------------------------------------------------------------


def test_available_kinds_reports_reasons() -> None:
    kinds = sandbox_select.available_kinds()
    assert set(kinds) == {"docker", "bwrap", "process"}
    assert kinds["process"] is None
    assert kinds["bwrap"] == BWRAP_REASON
    if kinds["docker"] is not None:
        assert isinstance(kinds["docker"], str) and kinds["docker"]


def test_make_sandbox_explicit_unavailable_kind_names_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox_select, "probe_bwrap", lambda: "bwrap is not installed")
    with pytest.raises(HybridEvalError, match="apt-get install bubblewrap"):
        sandbox_select.make_sandbox(SandboxConfig(kind="bwrap"))
    monkeypatch.setattr(sandbox_select, "probe_docker", lambda: "Docker engine not reachable: no socket")
    with pytest.raises(HybridEvalError, match="sandbox.kind=docker is unavailable: Docker engine not reachable"):
        sandbox_select.make_sandbox(SandboxConfig(kind="docker"))


def test_auto_falls_back_to_process_with_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox_select, "probe_bwrap", lambda: "bwrap is not installed")
    monkeypatch.setattr(sandbox_select, "probe_docker", lambda: "no engine")
    with pytest.warns(UserWarning, match="isolated=false"):
        sb = sandbox_select.make_sandbox(SandboxConfig(kind="auto"))
    assert sb.kind == "process" and sb.isolated is False


@needs_bwrap
def test_auto_prefers_bwrap_when_it_works(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(sandbox_select, "probe_docker", lambda: "no engine")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sb = sandbox_select.make_sandbox(SandboxConfig(kind="auto"), hide=[tmp_path])
    assert isinstance(sb, BwrapSandbox) and sb.isolated and sb.hide == [tmp_path.resolve()]
    limits = sandbox_select.limits_from_config(SandboxConfig(memory_mb=256, pids=32, cpu_s=5), wall_s=9)
    assert (limits.wall_s, limits.memory_mb, limits.pids, limits.cpu_s) == (9, 256, 32, 5)
