"""Hostile candidate solutions, scored through ``scoring.score``: each must end as a contained FAIL.

Every candidate implements ``f`` of the ``square`` fixture task (tests/fixtures/hostile/square) so
that it returns the right answer *only if its attack worked*; otherwise it returns 2, which passes the
visible test and fails the hidden ones. A PASS therefore means the sandbox or the scorer has a hole,
and the control test shows that an attack that does "work" really turns into a PASS. Host-side checks
(files, processes, a listening socket) confirm containment independently of the verdict.

The ``process`` kind is unisolated by design (it shares the file system, network and pid namespace
with the harness), so attacks on isolation run under bwrap only; resource and scorer attacks run
under both kinds.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_hybrid_eval.sandbox._proc import PidsCgroup
from pytest_hybrid_eval.sandbox.base import Limits, Sandbox
from pytest_hybrid_eval.sandbox.bwrap import BwrapSandbox
from pytest_hybrid_eval.sandbox.process import ProcessSandbox
from pytest_hybrid_eval.sandbox.select import probe_bwrap
from pytest_hybrid_eval.scoring.base import ScoreContext, ScoreResult
from pytest_hybrid_eval.scoring.registry import score
from pytest_hybrid_eval.tasks.model import Task, load_task

REPO = Path(__file__).resolve().parents[1]
SQUARE = Path(__file__).parent / "fixtures" / "hostile" / "square"
BWRAP_REASON = probe_bwrap()
needs_bwrap = pytest.mark.skipif(BWRAP_REASON is not None, reason=f"bwrap unusable: {BWRAP_REASON}")
BOTH = ["process", pytest.param("bwrap", marks=needs_bwrap)]
TIMEOUT_S = 8.0
# small caps keep the suite fast; the defaults are larger but enforced by the same code
LIMITS = Limits(wall_s=TIMEOUT_S, memory_mb=512, cpu_s=20, pids=64, output_bytes=1_000_000, file_mb=64)

WIN = "x * x + 1"  # what f returns when the attack worked


def _pids_cgroup_reason() -> str | None:
    cg = PidsCgroup(8)
    reason = None if cg.path else cg.reason
    cg.kill_and_remove()
    return reason


PIDS_REASON = _pids_cgroup_reason()


@pytest.fixture(scope="module")
def task() -> Task:
    return load_task(SQUARE)


def make(kind: str) -> Sandbox:
    if kind == "bwrap":
        # what the plugin does: hide every task root (here the fixture task and the repo's suites)
        return BwrapSandbox(hide=[SQUARE, REPO / "bench_suites"])
    return ProcessSandbox()


def candidate(attack: str) -> str:
    """A module whose ``f`` is right only when ``attack()`` returns True."""
    return f"{attack}\n\ndef f(x):\n    return {WIN} if attack() else 2\n"


def score_hostile(task: Task, kind: str, code: str, timeout_s: float = TIMEOUT_S) -> ScoreResult:
    """Score ``code``; it must be a FAIL (not an infrastructure error) and come back in bounded time."""
    t0 = time.monotonic()
    res = score(task, {"sol.py": code}, ScoreContext(make(kind), timeout_s, limits=LIMITS))
    elapsed = time.monotonic() - t0
    assert res.passed is False, f"hostile candidate PASSED under {kind}: {res}"
    assert res.error in (None, "forged"), f"scored as an infrastructure error, not a fail: {res.reason}"
    assert elapsed < timeout_s + 15, f"scoring took {elapsed:.1f}s"
    return res


def _survivors(marker: str, field: str = "cmdline", wait_s: float = 3.0) -> list[int]:
    """Processes still carrying ``marker`` after up to ``wait_s`` (SIGKILL delivery is not instant)."""
    deadline = time.monotonic() + wait_s
    while (alive := _alive_with(marker, field)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return alive


def _alive_with(marker: str, field: str = "cmdline") -> list[int]:
    """Live (non-zombie) pids whose /proc/<pid>/<field> contains ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / field).read_bytes().replace(b"\0", b" ").decode(errors="replace")
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            except (OSError, IndexError):
                continue
            if state == "Z":
                continue  # already dead, waiting for its reaper
            if marker in cmdline and int(entry.name) != os.getpid():
                found.append(int(entry.name))
    return found


# -- the fixture behaves, and the method can detect a hole -----------------------------------------------


@pytest.mark.parametrize("kind", BOTH)
def test_honest_solution_passes_and_a_successful_attack_would_pass(task: Task, kind: str) -> None:
    honest = score(task, task.reference_files(), ScoreContext(make(kind), TIMEOUT_S, limits=LIMITS))
    assert (honest.passed, honest.tests_passed, honest.tests_total) == (True, 3, 3), honest
    control = score(task, {"sol.py": candidate("def attack():\n    return True\n")}, ScoreContext(make(kind), TIMEOUT_S, limits=LIMITS))  # fmt: skip
    assert control.passed, control
    loser = score_hostile(task, kind, candidate("def attack():\n    return False\n"))
    assert (loser.tests_passed, loser.tests_total) == (1, 3)


# -- network ---------------------------------------------------------------------------------------------


@pytest.fixture
def listener() -> Iterator[tuple[int, list[bytes]]]:
    """A loopback TCP server standing in for the routing proxy; records what anyone sends it."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    srv.settimeout(0.2)
    got: list[bytes] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(1)
                try:
                    got.append(conn.recv(100) or b"<connected>")
                except OSError:
                    got.append(b"<connected>")

    th = threading.Thread(target=serve, daemon=True)
    th.start()
    yield srv.getsockname()[1], got
    stop.set()
    th.join(5)
    srv.close()


@needs_bwrap
def test_loopback_proxy_port_is_unreachable(task: Task, listener: tuple[int, list[bytes]]) -> None:
    port, got = listener
    attack = f"""
import socket
def attack():
    try:
        with socket.create_connection(("127.0.0.1", {port}), timeout=1) as s:
            s.sendall(b"candidate was here")
        return True
    except OSError:
        return False
"""
    score_hostile(task, "bwrap", candidate(attack))
    assert got == []


@needs_bwrap
def test_outside_address_is_unreachable(task: Task) -> None:
    attack = """
import socket
def attack():
    try:
        socket.create_connection(("192.0.2.1", 80), timeout=1).close()
        return True
    except OSError:
        return False
"""
    res = score_hostile(task, "bwrap", candidate(attack))
    assert (res.tests_passed, res.tests_total) == (1, 3)


# -- resources -------------------------------------------------------------------------------------------


@pytest.mark.skipif(PIDS_REASON is not None, reason=f"no pids cgroup, a fork bomb would not be contained: {PIDS_REASON}")
@pytest.mark.parametrize("kind", BOTH)
def test_fork_bomb_is_capped(task: Task, kind: str) -> None:
    comm = f"hb{uuid.uuid4().hex[:10]}"  # every bomb process renames itself, so survivors can be found
    attack = f"""
import ctypes, os, time
def attack():
    made = 0
    for _ in range(3000):
        try:
            pid = os.fork()
        except OSError:
            continue
        if pid == 0:
            try:
                ctypes.CDLL(None).prctl(15, b"{comm}", 0, 0, 0)
                while True:
                    try:
                        os.fork()
                    except OSError:
                        time.sleep(0.01)
            finally:
                os._exit(0)
        made += 1
    return made >= 3000
"""
    res = score_hostile(task, kind, candidate(attack))
    assert res.limit_hit in ("pids", "wall"), res
    assert _survivors(comm, "comm") == []


@pytest.mark.parametrize("kind", BOTH)
def test_allocating_4gb_fails(task: Task, kind: str) -> None:
    attack = """
def attack():
    try:
        block = bytearray(4 * 1024 ** 3)
    except MemoryError:
        return False
    return len(block) == 4 * 1024 ** 3
"""
    res = score_hostile(task, kind, candidate(attack))
    assert (res.tests_passed, res.tests_total) == (1, 3)


@pytest.mark.parametrize("kind", BOTH)
def test_filling_the_disk_stops_at_the_file_cap(task: Task, kind: str) -> None:
    targets = ["fill.bin"] + (["/tmp/fill.bin"] if kind == "bwrap" else [])
    attack = f"""
def attack():
    chunk = b"x" * (1024 * 1024)
    total = 0
    for path in {targets!r}:
        try:
            with open(path, "wb") as fh:
                for _ in range(1024):
                    fh.write(chunk)
                    total += len(chunk)
        except OSError:
            pass
    return total >= {len(targets)} * 1024 * 1024 * 1024
"""
    res = score_hostile(task, kind, candidate(attack))
    assert (res.tests_passed, res.tests_total) == (1, 3)
    assert res.duration_s < TIMEOUT_S


@pytest.mark.parametrize("kind", BOTH)
def test_sleeping_forever_is_a_timeout(task: Task, kind: str) -> None:
    res = score_hostile(task, kind, "import time\ntime.sleep(10 ** 6)\n", timeout_s=3)
    assert res.limit_hit == "wall" and "timeout" in (res.reason or "")
    assert res.duration_s < 8


@pytest.mark.parametrize("kind", BOTH)
def test_printing_100mb_hits_the_output_cap(task: Task, kind: str) -> None:
    # pytest captures fd 1 into a temp file, so the candidate also hunts for the real pipe
    attack = """
import os
def attack():
    chunk = b"y" * (1024 * 1024)
    fds = [1, 2]
    for name in os.listdir("/proc/self/fd"):
        try:
            if os.readlink("/proc/self/fd/" + name).startswith("pipe:"):
                fds.append(int(name))
        except OSError:
            pass
    written = 0
    for fd in reversed(fds):
        for _ in range(100):
            try:
                written += os.write(fd, chunk)
            except OSError:
                break
    return written >= 100 * len(chunk) * len(fds)
"""
    res = score_hostile(task, kind, candidate(attack))
    assert res.limit_hit == "output", res


@pytest.mark.parametrize("kind", BOTH)
def test_leaving_a_daemon_behind(task: Task, kind: str) -> None:
    marker = f"1000.{uuid.uuid4().int % 10**9:09d}"
    attack = f"""
import os, time
def attack():
    pid = os.fork()
    if pid == 0:
        os.setsid()
        if os.fork() == 0:
            os.execv("/bin/sleep", ["sleep", "{marker}"])
        os._exit(0)
    os.waitpid(pid, 0)
    time.sleep(0.2)
    return False
"""
    score_hostile(task, kind, candidate(attack))
    assert _survivors(marker) == []


# -- file system and secrets (bwrap) ---------------------------------------------------------------------


@needs_bwrap
def test_writing_outside_the_work_dir(task: Task, tmp_path: Path) -> None:
    marker = uuid.uuid4().hex
    outside = [Path("/var/tmp") / f"hostile-{marker}", Path("/etc") / f"hostile-{marker}",
               tmp_path / f"hostile-{marker}", REPO / f"hostile-{marker}"]  # fmt: skip
    attack = f"""
import os, subprocess
def attack():
    wrote = False
    for _ in range(2):
        for path in {[str(p) for p in outside]!r}:
            try:
                with open(path, "w") as fh:
                    fh.write("owned")
                # /tmp is the sandbox's private tmpfs (bwrap binds the interpreter's dirs back into it, so a
                # checkout under /tmp has its parent dirs there): a write there never reaches the host, and
                # the host-side check below proves it; only writes elsewhere count as the attack working
                wrote = wrote or not path.startswith("/tmp/")
            except OSError:
                pass
        # with capabilities a candidate could make the read-only root writable
        subprocess.run(["mount", "-o", "remount,bind,rw", "/"], capture_output=True)
    return wrote
"""
    score_hostile(task, "bwrap", candidate(attack))
    assert [p for p in outside if p.exists()] == []


@pytest.fixture
def home_sentinel() -> Iterator[tuple[Path, str]]:
    value = f"home-secret-{uuid.uuid4().hex}"
    path = Path("/root") / f".hybrid-hostile-{uuid.uuid4().hex[:8]}"
    path.write_text(value)
    yield path, value
    path.unlink(missing_ok=True)


@needs_bwrap
def test_reading_home_references_and_the_cloud_key(task: Task, home_sentinel: tuple[Path, str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    home_file, home_value = home_sentinel
    key = f"sk-sentinel-{uuid.uuid4().hex}"
    monkeypatch.setenv("HYBRID_EVAL_HOSTILE_CLOUD_KEY", key)
    reference = SQUARE / "reference" / "sol.py"
    suites = REPO / "bench_suites"
    attack = f"""
import glob, os, subprocess
def _read(path):
    try:
        with open(path, errors="replace") as fh:
            return fh.read()
    except OSError:
        return ""
def attack():
    found = []
    # the home sentinel and ~/.bashrc, also after trying to lift the covering tmpfs
    for _ in range(2):
        found.append("{home_value}" in _read("{home_file}"))
        found.append(bool(_read("/root/.bashrc")))
        subprocess.run(["umount", "/root"], capture_output=True)
    found.append("x * x + 1" in _read("{reference}"))
    found.append(any(_read(p) for p in glob.glob("{suites}/**/reference/**", recursive=True)
                     if os.path.isfile(p)))
    blobs = list(os.environ.values())
    for env in glob.glob("/proc/*/environ"):
        blobs.append(_read(env))
    found.append(any("{key}" in b for b in blobs))
    return any(found)
"""
    score_hostile(task, "bwrap", candidate(attack))
    assert home_file.read_text() == home_value  # the sentinel is still there: the check was meaningful


@pytest.mark.parametrize("kind", BOTH)
def test_cloud_key_is_not_in_the_environment(task: Task, kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    key = f"sk-sentinel-{uuid.uuid4().hex}"
    monkeypatch.setenv("HYBRID_EVAL_HOSTILE_CLOUD_KEY", key)
    attack = f"""
import os
def attack():
    return any("{key}" in v for v in os.environ.values())
"""
    score_hostile(task, kind, candidate(attack))


@needs_bwrap
def test_killing_its_parent(task: Task) -> None:
    """Under bwrap the parent is the namespace's init, which ignores signals from inside.

    Not run under ``process``: there the parent *is* the harness, and nothing unisolated can stop a
    process from signalling another process of the same user.
    """
    attack = """
import os, signal, time
def attack():
    parent = os.getppid()
    try:
        os.kill(parent, signal.SIGKILL)
    except OSError:
        return False
    time.sleep(0.3)
    return not os.path.exists(f"/proc/{parent}") or os.getppid() != parent
"""
    res = score_hostile(task, "bwrap", candidate(attack))
    assert (res.tests_passed, res.tests_total) == (1, 3)


# -- the scorer ------------------------------------------------------------------------------------------

_REWRITE_HIDDEN = """
import os
_saved = {}
for _dir in ("hidden_tests", "tests"):
    for _root, _subdirs, _files in os.walk(_dir):
        for _name in _files:
            if _name.endswith(".py"):
                _path = os.path.join(_root, _name)
                with open(_path) as _fh:
                    _saved[_path] = _fh.read()
                with open(_path, "w") as _fh:
                    _fh.write(_saved[_path].replace("assert ", "assert True or "))
"""


@pytest.mark.parametrize("kind", BOTH)
@pytest.mark.parametrize("how", ["edit", "edit-then-restore", "delete"])
def test_editing_or_deleting_the_tests(task: Task, kind: str, how: str) -> None:
    if how == "delete":
        code = "import shutil\nshutil.rmtree('hidden_tests', ignore_errors=True)\n"
    else:
        code = _REWRITE_HIDDEN
        if how == "edit-then-restore":
            code += ("import atexit\ndef _restore():\n    for _p, _t in _saved.items():\n"
                     "        open(_p, 'w').write(_t)\natexit.register(_restore)\n")  # fmt: skip
    res = score_hostile(task, kind, code + "\ndef f(x):\n    return 2\n")
    assert res.tests_passed < 3


_PATCHES = {
    "runtest": "import _pytest.python\n_pytest.python.Function.runtest = lambda self: None\n",
    "report": ("import _pytest.reports\n_orig = _pytest.reports.TestReport.__init__\n"
               "def _init(self, *a, **k):\n    _orig(self, *a, **k)\n    self.outcome = 'passed'\n"
               "    self.longrepr = None\n_pytest.reports.TestReport.__init__ = _init\n"),
    "plugin": ("import gc, pytest\n"
               "class _Liar:\n"
               "    @pytest.hookimpl(hookwrapper=True)\n"
               "    def pytest_runtest_makereport(self, item, call):\n"
               "        outcome = yield\n"
               "        rep = outcome.get_result()\n"
               "        rep.outcome, rep.longrepr = 'passed', None\n"
               "for _o in gc.get_objects():\n"
               "    if type(_o).__name__ == 'Config' and hasattr(_o, 'pluginmanager'):\n"
               "        _o.pluginmanager.register(_Liar(), 'liar')\n"
               "        break\n"),
}  # fmt: skip


@pytest.mark.parametrize("kind", BOTH)
@pytest.mark.parametrize("patch", sorted(_PATCHES))
def test_monkeypatching_pytest_to_report_success(task: Task, kind: str, patch: str) -> None:
    res = score_hostile(task, kind, _PATCHES[patch] + "\ndef f(x):\n    return 2\n")
    assert res.tests_passed < 3
    assert "tampering" in (res.reason or "") or "did not pass" in (res.reason or ""), res.reason
