"""Long-sweep lifecycle: resume, crash safety under SIGKILL, SIGTERM, torn lines, status."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from pytest_hybrid_eval.errors import ResultsError
from pytest_hybrid_eval.store.rows import RowWriter, read_rows
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
    # a resume that only replays recorded cells rewrites sweep.json's started_at; elapsed must stay >= 0
    run(suite, "-k", "calc-a", "--hybrid-no-report")
    res = subprocess.run([sys.executable, "-m", "pytest_hybrid_eval.cli", "status", str(suite.path / "out")],
                         capture_output=True, text=True, timeout=60)
    elapsed = float(next(x for x in res.stdout.splitlines() if x.startswith("time")).split()[1])
    assert elapsed >= 0


def test_spending_cap_ends_cells_as_budget_exhausted_and_stops_the_run(suite: pytest.Pytester) -> None:
    # skill 0 and no decoy: the model answers with the failing starting files, the built-in agent asks again,
    # and that second cloud call meets the exhausted cap
    for name in ("calc-a", "calc-b", "calc-c"):
        shutil.rmtree(suite.path / "suite" / "puzzles" / name / "decoy")
    res = run(suite, "--hybrid-strategies", "always-cloud", "--hybrid-max-cloud-usd", "0.001", "--hybrid-no-report",
              "--hybrid-set", "scripted.cloud.easy=0")
    done = rows(suite.path)
    assert res.ret != 0
    assert any(r["error"] == "budget_exhausted" for r in done)
    assert all(r["passed"] is False for r in done if r["error"] == "budget_exhausted")
    assert len(done) < 9  # the run stopped instead of burning through every cell
    assert "cloud budget exhausted" in res.stdout.str()


def test_record_then_replay_gives_the_same_rows(suite: pytest.Pytester) -> None:
    run(suite, "-k", "calc-a", "--hybrid-record", "rec", "--hybrid-no-report", "--hybrid-out", "first")
    run(suite, "-k", "calc-a", "--hybrid-replay", "rec", "--hybrid-no-report", "--hybrid-out", "second")
    first = {r["cell_id"]: r for r in map(json.loads, (suite.path / "first" / "raw.jsonl").read_text().splitlines())}
    second = {r["cell_id"]: r for r in map(json.loads, (suite.path / "second" / "raw.jsonl").read_text().splitlines())}
    assert first.keys() == second.keys() and len(first) == 6
    for cid, r in second.items():
        assert r["provenance"]["backend"] == "replay"
        assert (r["passed"], r["tests_passed"], r["tokens"]) == (first[cid]["passed"], first[cid]["tests_passed"], first[cid]["tokens"])
