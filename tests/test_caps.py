"""Resource caps that hold: /dev and /dev/shm sized, a work-dir quota, and the config's caps applied.

Each probe is a candidate that tries to take more than its share; the cap must stop it (and the same
probe with a larger cap must get further, so a probe that is simply broken cannot pass).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from pytest_hybrid_eval.agents.base import AgentContext
from pytest_hybrid_eval.agents.cli_agent import run_cli, scrubbed_env
from pytest_hybrid_eval.config import SandboxConfig
from pytest_hybrid_eval.sandbox.base import Limits, Sandbox
from pytest_hybrid_eval.sandbox.bwrap import BwrapSandbox
from pytest_hybrid_eval.sandbox.process import ProcessSandbox
from pytest_hybrid_eval.sandbox.quota import tree_usage
from pytest_hybrid_eval.sandbox.select import limits_from_config, probe_bwrap

BWRAP_REASON = probe_bwrap()
needs_bwrap = pytest.mark.skipif(BWRAP_REASON is not None, reason=f"bwrap unusable: {BWRAP_REASON}")
BOTH = ["process", pytest.param("bwrap", marks=needs_bwrap)]
PY = sys.executable
MB = 1024 * 1024

FILL = """
import os, sys
target, total_mb = sys.argv[1], int(sys.argv[2])
chunk = b"x" * (1024 * 1024)
written = 0
try:
    with open(target, "wb") as fh:
        for _ in range(total_mb):
            fh.write(chunk)
            fh.flush()
            written += 1
except OSError as exc:
    print("stopped", written, exc.errno)
    raise SystemExit(0)
print("wrote", written)
"""

FILL_TREE = """
import os, sys
chunk = b"x" * (1024 * 1024)
for i in range(int(sys.argv[1])):
    with open(f"blob{i:04d}", "wb") as fh:
        for _ in range(4):
            fh.write(chunk)
print("filled")
"""


def make(kind: str) -> Sandbox:
    return BwrapSandbox() if kind == "bwrap" else ProcessSandbox()


@needs_bwrap
@pytest.mark.parametrize("cap_mb", [8, 24])
def test_dev_shm_fill_stops_at_its_cap(tmp_path: Path, cap_mb: int) -> None:
    res = BwrapSandbox().run([PY, "-c", FILL, "/dev/shm/fill", "64"], tmp_path, Limits(wall_s=20, shm_mb=cap_mb))
    words = res.output_tail.split()
    assert words[0] == "stopped", res.output_tail
    assert cap_mb - 2 <= int(words[1]) <= cap_mb  # ENOSPC right at the tmpfs size, not at the host's memory


@needs_bwrap
def test_dev_itself_is_read_only_but_its_devices_work(tmp_path: Path) -> None:
    code = ("import os\nopen('/dev/null', 'w').write('x')\n"
            "try:\n    open('/dev/fill', 'w')\nexcept OSError as e:\n    print('refused', e.errno)\n")
    res = BwrapSandbox().run([PY, "-c", code], tmp_path, Limits(wall_s=20))
    assert res.exit_code == 0 and res.output_tail.split()[0] == "refused", res.output_tail


@pytest.mark.parametrize("kind", BOTH)
def test_work_dir_fill_stops_at_its_quota(tmp_path: Path, kind: str) -> None:
    # 4 MB files, each far below the per-file cap: only a total quota can stop 100 of them
    res = make(kind).run([PY, "-c", FILL_TREE, "100"], tmp_path, Limits(wall_s=30, disk_mb=40, file_mb=64))
    used, _ = tree_usage(tmp_path)
    assert res.limit_hit == "disk" and "filled" not in res.output_tail, res
    assert used < 40 * MB + 160 * MB  # stopped within one check interval's worth of writing, far from 400 MB
    assert int(res.extra["disk_added_bytes"]) > 40 * MB


@pytest.mark.parametrize("kind", BOTH)
def test_work_dir_under_its_quota_is_untouched(tmp_path: Path, kind: str) -> None:
    res = make(kind).run([PY, "-c", FILL_TREE, "5"], tmp_path, Limits(wall_s=30, disk_mb=40, file_mb=64))
    assert res.exit_code == 0 and res.limit_hit is None and "filled" in res.output_tail


ALLOC = "import sys\nb = bytearray(int(sys.argv[1]) * 1024 * 1024)\nprint('allocated', len(b) >> 20)\n"


@pytest.mark.parametrize("kind", BOTH)
def test_config_memory_mb_is_the_limit(tmp_path: Path, kind: str) -> None:
    limits = limits_from_config(SandboxConfig(memory_mb=256), wall_s=20)
    assert limits.memory_mb == 256
    small = make(kind).run([PY, "-c", ALLOC, "64"], tmp_path, limits)
    big = make(kind).run([PY, "-c", ALLOC, "400"], tmp_path, limits)
    assert "allocated 64" in small.output_tail
    assert "allocated" not in big.output_tail and big.limit_hit == "memory", big


def _memory_cgroup(sandbox: Sandbox, tmp_path: Path) -> bool:
    return sandbox.run(["true"], tmp_path, Limits(wall_s=10)).extra.get("memory_cap") == "cgroup"


@needs_bwrap
def test_tmpfs_pages_count_against_memory_mb(tmp_path: Path) -> None:
    """/tmp inside is a tmpfs: host memory that RLIMIT_AS never sees; the memory cgroup must."""
    sb = BwrapSandbox()
    if not _memory_cgroup(sb, tmp_path):
        pytest.skip("no writable memory cgroup here (needs root or a delegated cgroup)")
    limits = Limits(wall_s=20, memory_mb=96, file_mb=512)
    res = sb.run([PY, "-c", FILL, "/tmp/fill", "300"], tmp_path, limits)
    assert "wrote" not in res.output_tail and res.limit_hit == "memory", res
    ok = sb.run([PY, "-c", FILL, "/tmp/fill", "30"], tmp_path, limits)
    assert "wrote 30" in ok.output_tail, ok


@pytest.mark.parametrize("kind", BOTH)
def test_agent_runs_under_the_configured_caps(tmp_path: Path, kind: str) -> None:
    cell = tmp_path / "cell"
    (cell / "workspace").mkdir(parents=True)
    (cell / "home").mkdir()
    caps = limits_from_config(SandboxConfig(memory_mb=512, pids=77, cpu_s=33), wall_s=10)
    ctx = AgentContext(cell=None, task=None, workspace=cell / "workspace",  # type: ignore[arg-type]
                       base_url="http://127.0.0.1:9/v1", model="m", timeout_s=10, max_turns=1,
                       sandbox=make(kind), home=cell / "home", caps=caps)
    run = run_cli(["/bin/sh", "-c", "ulimit -t"], ctx, scrubbed_env(ctx), timeout_s=10)
    assert run.stdout_tail.split()[-1] == "33", run
    if run.extra.get("pids_cap") == "cgroup":
        probe = ("import pathlib\nfor line in pathlib.Path('/proc/self/cgroup').read_text().splitlines():\n"
                 "    if ':pids:' in line:\n"
                 "        print(pathlib.Path('/sys/fs/cgroup/pids' + line.split(':', 2)[2], 'pids.max').read_text())\n")
        seen = run_cli([PY, "-c", probe], ctx, scrubbed_env(ctx), timeout_s=10)
        if kind == "process":  # bwrap's private cgroup namespace and /sys hide the host path
            assert seen.stdout_tail.split()[-1] == "77", seen


def test_quota_counts_growth_and_an_inode_flood(tmp_path: Path) -> None:
    from pytest_hybrid_eval.sandbox.quota import DiskQuota

    (tmp_path / "existing").write_bytes(b"x" * 3 * MB)  # already there: not charged
    quota = DiskQuota(tmp_path, quota_mb=2, max_entries=50)
    assert not quota.over(force=True)
    (tmp_path / "new").write_bytes(b"x" * MB)
    assert not quota.over(force=True)
    for i in range(60):
        (tmp_path / f"empty{i}").touch()
    assert quota.over(force=True)  # 61 new entries > 50, though they add almost no bytes
