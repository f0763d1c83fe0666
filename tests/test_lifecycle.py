"""Long-sweep lifecycle: resume, crash safety under SIGKILL, SIGTERM, torn lines, status."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from pytest_hybrid_eval.errors import ResultsError
from pytest_hybrid_eval.results import RowWriter, read_rows
from tests.test_plugin import rows, run, write_config, write_task


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    for name in ("calc-a", "calc-b", "calc-c"):
        write_task(pytester.path, name)
    write_config(pytester.path, seeds="[1, 2, 3]")
    return pytester


def test_resume_runs_only_missing_cells_and_reports_recorded_ones(suite: pytest.Pytester) -> None:
    run(suite, "-k", "calc-a", "--hybrid-no-report")
    first = rows(suite.path)
    assert len(first) == 6
    res = run(suite, "--hybrid-no-report")
    after = rows(suite.path)
    assert len(after) == 18 and len({r["cell_id"] for r in after}) == 18  # nothing ran twice
    out = res.stdout.str()
    assert "12 written this run, 6 recorded earlier" in out
    outcomes = res.parseoutcomes()
    assert outcomes.get("passed", 0) + outcomes.get("failed", 0) == 18  # recorded cells still report


def test_error_rows_are_retried_unless_kept(suite: pytest.Pytester) -> None:
    run(suite, "-k", "calc-a and always_cloud and s1", "--hybrid-no-report")
    raw = suite.path / "out" / "raw.jsonl"
    row = json.loads(raw.read_text())
    row["error"], row["passed"], row["reason"] = "backend_error", False, "injected for the test"
    raw.write_text(json.dumps(row) + "\n")
    run(suite, "-k", "calc-a and always_cloud and s1", "--hybrid-keep-errors", "--hybrid-no-report")
    assert len(rows(suite.path)) == 1
    run(suite, "-k", "calc-a and always_cloud and s1", "--hybrid-no-report")
    again = rows(suite.path)
    assert len(again) == 2 and again[-1]["error"] == "none"


def _start(p: pytest.Pytester, *args: str) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "pytest", "suite", "--hybrid-config", "sweep.yaml", "--hybrid-no-report",
           "-p", "no:cacheprovider", *args]
    return subprocess.Popen(cmd, cwd=p.path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)


def test_sigkill_at_random_points_then_resume_finds_every_cell_once(suite: pytest.Pytester) -> None:
    rng = random.Random(20261127)
    for _ in range(20):
        proc = _start(suite)
        time.sleep(rng.uniform(0.8, 4.0))
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    final = _start(suite)
    out, _ = final.communicate(timeout=300)
    assert final.returncode in (0, 1), out.decode()[-2000:]
    counts = Counter(r["cell_id"] for r in rows(suite.path))
    assert len(counts) == 18
    assert set(counts.values()) == {1}, counts


def test_sigterm_keeps_finished_rows_and_prints_summary(suite: pytest.Pytester) -> None:
    proc = _start(suite, "--hybrid-set", "scripted.latency_scale=0.3")
    deadline = time.monotonic() + 60
    raw = suite.path / "out" / "raw.jsonl"
    while time.monotonic() < deadline and not (raw.exists() and raw.read_text().count("\n") >= 2):
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=60)
    text = out.decode()
    assert proc.returncode != 0
    assert "hybrid-eval: t" in text and "written this run" in text
    done = rows(suite.path)
    assert 2 <= len(done) < 18


def test_torn_last_line_is_reported_then_repaired(tmp_path: Path) -> None:
    from tests.test_results_rows import make_row

    raw = tmp_path / "raw.jsonl"
    good = make_row("a.builtin.always-cloud.s1")
    raw.write_text(good.model_dump_json() + "\n" + good.model_dump_json()[:57])
    report = read_rows(raw)
    assert report.torn_last_line and len(report.rows) == 1
    RowWriter(raw).append(make_row("b.builtin.always-cloud.s1"))
    report = read_rows(raw)
    assert not report.torn_last_line and [r.cell_id for r in report.rows] == ["a.builtin.always-cloud.s1", "b.builtin.always-cloud.s1"]


def test_bad_line_in_the_middle_names_the_line(tmp_path: Path) -> None:
    from tests.test_results_rows import make_row

    raw = tmp_path / "raw.jsonl"
    good = make_row("a.builtin.always-cloud.s1").model_dump_json()
    raw.write_text(good + "\n{\"nope\": 1}\n" + good + "\n")
    with pytest.raises(ResultsError, match=r"raw.jsonl:2: field '.*': .*fix or remove that line"):
        read_rows(raw)


def test_status_command(suite: pytest.Pytester) -> None:
    run(suite, "-k", "calc-a", "--hybrid-no-report")
    res = subprocess.run([sys.executable, "-m", "pytest_hybrid_eval.cli", "status", str(suite.path / "out")],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert "cells   6/18 done" in res.stdout and "cloud   $" in res.stdout and "ETA" in res.stdout
