"""The sweep directory as a shared resource: one run at a time, a cloud cap per sweep, unwritable out dirs.

Every run here is a real pytest process on a tiny suite (tests.test_plugin's calc tasks), because the lock,
the carried spend and the write errors only mean something across processes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pytest_hybrid_eval.pricing import load_table
from pytest_hybrid_eval.store.rows import read_rows
from tests.test_plugin import rows, write_config, write_task

CAP = 0.005
SCENARIO = "gpt-5.5"


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    """Three always-cloud tasks where the cloud model never solves (no decoy, skill 0), so every cell makes
    four cloud calls of $0.002-0.005: a $0.005 cap is crossed inside the first cell."""
    for name in ("calc-a", "calc-b", "calc-c"):
        shutil.rmtree(write_task(pytester.path, name) / "decoy")
    write_config(pytester.path, seeds="[1, 2, 3]", strategies="[always-cloud]")
    return pytester


def _cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "pytest", "suite", "--hybrid-config", "sweep.yaml", "--hybrid-no-report",
            "-p", "no:cacheprovider", "-p", "no:randomly", "--hybrid-set", "scripted.cloud.easy=0", *args]


def _run(p: pytest.Pytester, *args: str, prefix: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*(prefix or []), *_cmd(*args)], cwd=p.path, capture_output=True, text=True, timeout=300)


def _spend(out: Path) -> tuple[float, float]:
    """(USD every row of the out dir spent, the dearest single cloud call) under the primary scenario."""
    table = load_table()
    all_rows = read_rows(out, dedupe=False).rows if (out / "raw.jsonl").exists() else []
    total = sum(table.row_cost(r, SCENARIO) for r in all_rows)
    dearest = max((table.cost(c.usage, SCENARIO) for r in all_rows for c in r.calls.records
                   if c.choice == "cloud"), default=0.0)
    return total, dearest


def _error_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("ERROR: ")]


def test_three_reruns_under_a_tiny_cap_spend_at_most_the_cap(suite: pytest.Pytester) -> None:
    out = suite.path / "out"
    results = [_run(suite, "--hybrid-rerun", "--hybrid-max-cloud-usd", str(CAP)) for _ in range(3)]
    total, dearest = _spend(out)
    # overshoot bound: the calls in flight when the cap is crossed; -n 0 runs one cell, so one call
    assert total <= CAP + dearest, (total, dearest)
    assert results[0].returncode == 2 and "cloud budget exhausted" in results[0].stdout  # stopped: interrupted
    for res in results[1:]:  # the sweep's spend is carried: a rerun at the cap is refused before any cell
        assert res.returncode == 4 and "INTERNALERROR" not in res.stdout + res.stderr
        (line,) = _error_lines(res.stderr)
        assert f"of its ${CAP:.4f} cloud cap (budget.max_cloud_usd); raise the cap" in line
    print(f"three reruns under ${CAP}: ${total:.6f} spent in total (dearest call ${dearest:.6f})")


def test_a_resumed_sweep_starts_from_the_spend_already_recorded(suite: pytest.Pytester) -> None:
    cap = 0.02
    out = suite.path / "out"
    first = _run(suite, "-k", "calc-a and s1", "--hybrid-max-cloud-usd", str(cap))
    spent_first, _ = _spend(out)
    assert first.returncode == 1 and 0 < spent_first < cap  # one cell, below the cap
    second = _run(suite, "--hybrid-rerun", "--hybrid-max-cloud-usd", str(cap))
    total, dearest = _spend(out)
    assert "cloud budget exhausted" in second.stdout
    # without the carried spend the second run alone would spend the whole cap on top of the first
    assert total <= cap + dearest < spent_first + cap, (spent_first, total, dearest)
    status = subprocess.run([sys.executable, "-m", "pytest_hybrid_eval.cli", "status", str(out)],
                            capture_output=True, text=True, timeout=60)
    assert f"cloud   ${total:.4f} so far" in status.stdout


def test_a_second_run_on_the_same_out_dir_is_refused_naming_the_holder(suite: pytest.Pytester) -> None:
    first = subprocess.Popen(_cmd("--hybrid-set", "scripted.latency_scale=0.5"), cwd=suite.path,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    pid_file = suite.path / "out" / "sweep.lock.pid"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not pid_file.exists():
        time.sleep(0.1)
    assert pid_file.read_text().strip() == str(first.pid)
    second = _run(suite)
    out, _ = first.communicate(timeout=300)
    assert second.returncode == 4, second.stdout[-2000:]
    assert "INTERNALERROR" not in second.stdout + second.stderr
    (line,) = _error_lines(second.stderr)
    assert line == (f"ERROR: {suite.path / 'out'} is in use by another sweep run (pid {first.pid}); wait for "
                    "it to finish, or pass --hybrid-out DIR to run a separate sweep")
    assert first.returncode in (0, 1), out[-2000:]
    ids = [r["cell_id"] for r in rows(suite.path)]
    assert len(ids) == len(set(ids)) == 9  # the first run's rows only, each cell once
    assert not pid_file.exists()  # released at the end of the run
    print(line)


def _in_mount_ns(setup: str) -> list[str]:
    """Run the command in a private mount namespace after ``setup`` (root only; chmod does not stop root)."""
    return ["unshare", "-m", "sh", "-c", f'{setup} && exec "$@"', "sh"]


def _mounts_work() -> bool:
    if shutil.which("unshare") is None or os.geteuid() != 0:
        return False
    probe = subprocess.run(["unshare", "-m", "sh", "-c", "mount -t tmpfs -o size=8k tmpfs /mnt"],
                           capture_output=True, timeout=30)
    return probe.returncode == 0


needs_mounts = pytest.mark.skipif(not _mounts_work(), reason="needs root and unshare -m (private mounts)")


@needs_mounts
def test_read_only_out_dir_is_one_line_and_no_rows(suite: pytest.Pytester) -> None:
    out = suite.path / "out"
    _run(suite, "-k", "calc-a and s1")
    before = (out / "raw.jsonl").read_bytes()
    res = _run(suite, "--hybrid-rerun",
               prefix=_in_mount_ns(f"mount --bind {out} {out} && mount -o remount,ro,bind {out}"))
    assert res.returncode == 4 and "INTERNALERROR" not in res.stdout + res.stderr
    (line,) = _error_lines(res.stderr)
    assert line == (f"ERROR: {out}: cannot write there (Read-only file system); make room or make it a "
                    "writable folder, or pass --hybrid-out DIR")
    assert (out / "raw.jsonl").read_bytes() == before


def test_out_dir_that_is_a_file_is_one_line(suite: pytest.Pytester) -> None:
    (suite.path / "out").write_text("not a folder\n")
    res = _run(suite)
    assert res.returncode == 4 and "INTERNALERROR" not in res.stdout + res.stderr
    (line,) = _error_lines(res.stderr)
    assert line == f"ERROR: {suite.path / 'out'}: is a file, not a folder; pass --hybrid-out DIR naming a folder"


@needs_mounts
def test_full_out_dir_at_start_is_one_line(suite: pytest.Pytester) -> None:
    out = suite.path / "out"
    out.mkdir()
    fill = f"mount -t tmpfs -o size=16k tmpfs {out} && (head -c 65536 /dev/zero > {out}/filler || true)"
    res = _run(suite, prefix=_in_mount_ns(fill))
    assert res.returncode == 4 and "INTERNALERROR" not in res.stdout + res.stderr
    (line,) = _error_lines(res.stderr)
    assert line.startswith(f"ERROR: {out}: cannot write there (No space left on device)")


@needs_mounts
def test_out_dir_that_fills_mid_sweep_stops_with_one_line_and_whole_rows(suite: pytest.Pytester) -> None:
    out = suite.path / "out"
    out.mkdir()
    # after the first row, fill the file system: the next row cannot be written
    suite.makeconftest("""
        import os

        def pytest_hybrid_row_written(row, path):
            fd = os.open(path.parent / "filler", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
            try:
                while True:
                    os.write(fd, b"x" * 4096)
            except OSError:
                pass
            finally:
                os.close(fd)
    """)
    res = _run(suite, prefix=_in_mount_ns(f"mount -t tmpfs -o size=256k tmpfs {out}"))
    text = res.stdout + res.stderr
    assert res.returncode == 4 and "INTERNALERROR" not in text and "Traceback" not in text, text[-3000:]
    assert "rows not written: " in res.stdout and "(No space left on device)" in res.stdout
    # the tmpfs is gone with the namespace; what matters is that the run stopped cleanly after one row
    assert "1 written this run" in res.stdout
