"""The shipped suite end to end on the scripted backend: skill 1.0 passes every task, 0.0 fails every task.

This is the proof that every task's reference is reachable through the whole pipeline (agent, proxy,
scoring) and that every decoy is caught by the hidden tests, with passed/total taken from the report.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def _sweep(p: pytest.Pytester, skill: float, *extra: str) -> list[dict]:
    shutil.copytree(REPO / "bench_suites", p.path / "bench_suites", ignore=shutil.ignore_patterns("*.pyc", "__pycache__"))
    sets = [f"scripted.cloud.{d}={skill}" for d in ("easy", "medium", "hard")]
    args = ["bench_suites", "--hybrid-strategies", "always-cloud", "--hybrid-seeds", "7", "--hybrid-out", "out",
            "--hybrid-no-report", "-n", "2", "-p", "no:cacheprovider", *extra]
    for s in sets:
        args += ["--hybrid-set", s]
    p.runpytest_subprocess(*args, timeout=900)
    return [json.loads(line) for line in (p.path / "out" / "raw.jsonl").read_text().splitlines()]


@pytest.mark.slow
def test_skill_one_passes_every_task(pytester: pytest.Pytester) -> None:
    rows = _sweep(pytester, 1.0)
    assert len(rows) >= 36
    failed = [(r["cell_id"], r["error"], r["reason"]) for r in rows if not r["passed"]]
    assert failed == []
    for r in rows:
        assert r["tests_total"] > 0 and r["tests_passed"] == r["tests_total"]
        recs = r["calls"]["records"]
        assert r["tokens"]["cloud"]["prompt"] == sum(c["usage"]["prompt"] for c in recs if c["choice"] == "cloud")
        assert r["tokens"]["cloud"]["completion"] == sum(c["usage"]["completion"] for c in recs if c["choice"] == "cloud")
        assert r["calls"]["local"] == 0


@pytest.mark.slow
def test_skill_zero_fails_every_task(pytester: pytest.Pytester) -> None:
    rows = _sweep(pytester, 0.0, "--hybrid-set", "agent.max_turns=1")
    assert len(rows) >= 36
    assert [r["cell_id"] for r in rows if r["passed"]] == []
    assert all(r["error"] == "none" for r in rows), [(r["cell_id"], r["reason"]) for r in rows if r["error"] != "none"]
    for r in rows:
        assert r["tests_total"] > 0 and r["tests_passed"] < r["tests_total"]
