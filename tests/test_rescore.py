"""Rescoring a finished sweep from its evidence, and rejudging its reviews, without touching raw.jsonl.

A tiny sweep runs for real in a pytester subprocess (the plugin starts servers that must not leak into
this process); then a hidden test is changed so the passing solution fails, and ``rescore`` must see it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pytest_hybrid_eval.cli import main
from pytest_hybrid_eval.errors import HybridEvalError
from pytest_hybrid_eval.rescore import rejudge_sweep, rescore, rescore_sweep
from pytest_hybrid_eval.store.rows import read_rows
from tests.test_plugin import rows, run, write_config, write_task

REPO = Path(__file__).resolve().parent.parent
D4 = REPO / "bench_suites" / "refactors" / "d4-sql-injection"
ALL_RIGHT = ["--hybrid-set", "scripted.cloud.easy=1", "--hybrid-set", "scripted.local.easy=0"]


@pytest.fixture
def swept(pytester: pytest.Pytester) -> pytest.Pytester:
    """A finished sweep: one task, always-cloud (right) and always-local (wrong), seed 1."""
    write_task(pytester.path)
    write_config(pytester.path, seeds="[1]")
    res = run(pytester, *ALL_RIGHT)
    res.assert_outcomes(passed=1, failed=1)
    return pytester


def _by_cell(path: Path) -> dict[str, dict]:
    return {r["cell_id"]: r for r in (json.loads(line) for line in path.read_text().splitlines())}


def test_rescore_sees_a_changed_hidden_test_and_never_rewrites_raw(swept: pytest.Pytester) -> None:
    out = swept.path / "out"
    raw_before = (out / "raw.jsonl").read_bytes()
    old = {r["cell_id"]: r for r in rows(swept.path)}
    good, bad = "calc-basics.builtin.always-cloud.s1", "calc-basics.builtin.always-local.s1"
    assert old[good]["passed"] and old[good]["tests_passed"] == 4
    assert (out / "evidence" / good / "files" / "calc.py").is_file()

    hidden = swept.path / "suite" / "puzzles" / "calc-basics" / "hidden" / "cases.py"
    hidden.write_text(hidden.read_text().replace("expect=12", "expect=13"))  # the right mul now fails

    path = rescore(out)
    assert path.parent == out and path.name.startswith("rescored-") and path.suffix == ".jsonl"
    assert (out / "raw.jsonl").read_bytes() == raw_before
    new = _by_cell(path)
    assert set(new) == {good, bad}
    assert not new[good]["passed"] and new[good]["error"] == "none"
    assert (new[good]["tests_passed"], new[good]["tests_total"]) == (3, 4)
    assert new[good]["reason"].startswith("rescored from evidence: 1 of 4 cases failed: mul: expected 13, got 12")
    assert new[good]["scorer"] == "cases"
    assert new[good]["finished_at"] > old[good]["finished_at"]
    # what the agent run cost is not changed by rescoring
    assert new[good]["tokens"] == old[good]["tokens"] and new[good]["calls"] == old[good]["calls"]
    assert new[good]["started_at"] == old[good]["started_at"]
    assert not new[bad]["passed"]

    # fixing the test back: the right solution passes again, in yet another new file
    hidden.write_text(hidden.read_text().replace("expect=13", "expect=12"))
    again = rescore_sweep(out)
    assert again.path != path and path.exists()
    assert again.changed == 0 and again.missing_evidence == [] and again.skipped == []
    assert _by_cell(again.path)[good]["passed"] and _by_cell(again.path)[good]["tests_passed"] == 4
    assert read_rows(again.path).rows[0].reason.startswith("rescored from evidence")
    assert (out / "raw.jsonl").read_bytes() == raw_before


def test_missing_evidence_is_reported_not_skipped_silently(swept: pytest.Pytester,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    out = swept.path / "out"
    gone = "calc-basics.builtin.always-local.s1"
    shutil.rmtree(out / "evidence" / gone)
    outcome = rescore_sweep(out)
    assert outcome.missing_evidence == [gone]
    assert set(_by_cell(outcome.path)) == {"calc-basics.builtin.always-cloud.s1"}
    with pytest.warns(UserWarning, match=f"no evidence for 1 cell.*{gone}"):
        rescore(out)
    assert main(["rescore", str(out)]) == 1
    printed = capsys.readouterr().out
    assert f"not rescored: {gone}: no evidence kept" in printed and "rescored 1 cell(s)" in printed


def test_roots_that_cannot_be_resolved_need_the_roots_argument(swept: pytest.Pytester, tmp_path: Path) -> None:
    moved = tmp_path / "elsewhere"
    shutil.copytree(swept.path / "out", moved / "out")
    shutil.move(str(swept.path / "suite"), str(tmp_path / "suite-moved"))
    with pytest.raises(HybridEvalError, match="--roots"):
        rescore_sweep(moved / "out")
    outcome = rescore_sweep(moved / "out", roots=[str(tmp_path / "suite-moved")])
    assert len(outcome.rows) == 2 and outcome.rows[0].reason.startswith("rescored from evidence")
    # an explicit file name that already exists is refused: results are never overwritten
    with pytest.raises(HybridEvalError, match="already exists"):
        rescore_sweep(moved / "out", new_file=outcome.path.name, roots=[str(tmp_path / "suite-moved")])
    with pytest.raises(HybridEvalError, match="raw.jsonl"):
        rescore_sweep(moved / "out", new_file="raw.jsonl", roots=[str(tmp_path / "suite-moved")])


def test_rejudge_reviews_with_the_llm_judge_into_a_new_file(pytester: pytest.Pytester) -> None:
    shutil.copytree(D4, pytester.path / "suite" / "refactors" / D4.name)
    write_config(pytester.path, seeds="[1]", strategies="[always-cloud]", scripted="{classifier_error_rate: 0.0}")
    res = run(pytester, *ALL_RIGHT)
    res.assert_outcomes(passed=1)
    out = pytester.path / "out"
    raw_before = (out / "raw.jsonl").read_bytes()
    (old,) = rows(pytester.path)
    assert old["scorer"] == "rubric" and old["passed"]

    outcome = rejudge_sweep(out)  # starts the sweep's own scripted services
    assert outcome.path.name.startswith("rejudged-") and outcome.missing_evidence == []
    (new,) = _by_cell(outcome.path).values()
    assert new["cell_id"] == old["cell_id"] and new["scorer"] == "llm-judge"
    assert new["passed"] and (new["tests_passed"], new["tests_total"]) == (4, 4)
    assert new["reason"] == "rejudged from evidence: every test passed"
    # the judge's two calls are the row's scoring usage: the routed calls and tokens of the agent run stand
    assert new["calls"]["cloud"] == old["calls"]["cloud"] and new["tokens"]["cloud"] == old["tokens"]["cloud"]
    assert new["calls"]["scoring"] == 2 and new["tokens"]["scoring"]["prompt"] > 0
    judge_calls = [c for c in new["calls"]["scoring_records"] if c["features"].get("judge")]
    assert len(judge_calls) == 2 and all(c["forced"] and c["choice"] == "cloud" for c in judge_calls)
    assert (out / "raw.jsonl").read_bytes() == raw_before

    # a weaker review in the evidence is judged on what it says
    (out / "evidence" / old["cell_id"] / "files" / "REVIEW.md").write_text("LGTM, ship it.\n")
    (weak,) = rejudge_sweep(out).rows
    assert not weak.passed and weak.error == "none" and weak.tests_passed == 0
    assert weak.reason is not None and "missed key finding: sql-injection" in weak.reason


def test_judge_tokens_in_a_cell_are_scoring_cost_not_routing_cost(pytester: pytest.Pytester) -> None:
    """A review judged in the cell itself: the judge's cloud calls never count as the strategy's cloud use."""
    shutil.copytree(D4, pytester.path / "suite" / "refactors" / D4.name)
    write_config(pytester.path, seeds="[1]", strategies="[always-local]", scripted="{classifier_error_rate: 0.0}")
    res = run(pytester, "--hybrid-set", "scripted.local.easy=1", "--hybrid-set", "scoring.review_scorer=llm-judge")
    res.assert_outcomes(passed=1)
    (row,) = rows(pytester.path)
    assert row["scorer"] == "llm-judge" and row["passed"]
    assert row["calls"]["cloud"] == 0 and row["tokens"]["cloud"]["prompt"] == 0  # always-local stays all local
    assert row["calls"]["scoring"] == 2 and row["tokens"]["scoring"]["prompt"] > 0
    assert all(c["choice"] == "cloud" for c in row["calls"]["scoring_records"])
    assert not any(c["call_index"] in {s["call_index"] for s in row["calls"]["scoring_records"]}
                   for c in row["calls"]["records"])
