"""Threshold calibration on labelled prompts and on a sweep's call records, and the router-eval table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_hybrid_eval.datafiles import data_path
from pytest_hybrid_eval.routing.calibrate import (
    CalibrationError,
    calibrate,
    calibration_lines,
    router_eval_table,
    threshold_for_share,
)
from pytest_hybrid_eval.routing.router_eval import evaluate

PROMPTS = data_path("router", "eval_prompts.jsonl")


def test_quantile_threshold_on_distinct_scores() -> None:
    scores = [float(s) for s in range(10)]  # 0..9
    assert threshold_for_share(scores, 0.2) == 7.5  # 8 and 9 reach it
    assert threshold_for_share(scores, 1.0) == 0.0
    assert threshold_for_share(scores, 0.0) > 9.0
    assert threshold_for_share([3.0, 3.0, 1.0, 0.0], 0.25) == 3.0  # ties cannot be split: 50% it is


@pytest.mark.parametrize("share", [0.2, 0.5])
def test_calibrated_threshold_really_gives_that_share_when_pinned(share: float) -> None:
    res = calibrate("heuristic", share, PROMPTS)
    n = res["n"]
    assert res["source_kind"] == "prompts" and n >= 60
    assert abs(res["achieved_share"] - share) <= 2 / n
    assert 0.0 <= res["accuracy"] <= 1.0
    assert set(res["params"]) == {"threshold", "chat_threshold"}
    # the strategy itself, run with the pinned params, must route exactly the calibrated share to the cloud
    ev = evaluate(["heuristic"], PROMPTS, params={"heuristic": res["params"]})[0]
    assert ev["cloud_share"] == pytest.approx(res["achieved_share"], abs=1e-4)
    assert ev["accuracy"] == pytest.approx(res["accuracy"], abs=1e-4)
    assert "pin it with: routing.params.heuristic.threshold=" in calibration_lines(res)[-1]


def test_strategies_deciding_by_the_heuristic_score_calibrate_on_it_and_pin_both_thresholds() -> None:
    heuristic = calibrate("heuristic", 0.3, PROMPTS)
    for name in ("cascade", "phase-aware"):
        res = calibrate(name, 0.3, PROMPTS)
        assert res["threshold"] == heuristic["threshold"]
        assert set(res["params"]) == {"threshold", "chat_threshold"}


def _row(strategy: str, scores: list[float | None], forced: bool = False) -> dict:
    recs = [{"features": {} if s is None else {"score": s}, "forced": forced} for s in scores]
    return {"strategy": strategy, "calls": {"records": recs}}


def test_sweep_dir_uses_the_call_records_scores(tmp_path: Path) -> None:
    lines = [json.dumps(_row("heuristic", [1.0, 2.0, None])), json.dumps(_row("heuristic", [3.0, 4.0])),
             json.dumps(_row("heuristic", [100.0], forced=True)), json.dumps(_row("rules", [50.0])),
             '{"strategy": "heuristic", "calls": {"rec']  # torn last line of a running sweep
    (tmp_path / "raw.jsonl").write_text("\n".join(lines))
    res = calibrate("heuristic", 0.25, tmp_path)
    assert (res["n"], res["threshold"], res["achieved_share"], res["accuracy"]) == (4, 3.5, 0.25, None)
    assert res["source_kind"] == "sweep"


@pytest.mark.parametrize(("strategy", "share", "source", "message"), [
    ("heuristic", 1.5, "prompts", "outside [0, 1]"),
    ("teleport", 0.2, "prompts", "unknown strategy 'teleport'; valid strategies:"),
    ("rules", 0.2, "prompts", "strategy 'rules' has no score to calibrate on labelled prompts"),
    ("heuristic", 0.2, "missing", "not found; pass a sweep output dir or a labelled prompt JSONL"),
    ("heuristic", 0.2, "emptydir", "no raw.jsonl"),
    ("always-local", 0.2, "sweep", "no call of strategy 'always-local' carries features.score"),
])
def test_errors_are_one_line(tmp_path: Path, strategy: str, share: float, source: str, message: str) -> None:
    paths = {"prompts": PROMPTS, "missing": tmp_path / "nope.jsonl", "emptydir": tmp_path}
    if source == "sweep":
        (tmp_path / "raw.jsonl").write_text(json.dumps(_row("always-local", [None])) + "\n")
        paths["sweep"] = tmp_path
    with pytest.raises(CalibrationError) as info:
        calibrate(strategy, share, paths[source])
    assert message in str(info.value) and "\n" not in str(info.value)


def test_router_eval_table_shows_accuracy_share_and_latency() -> None:
    rows = evaluate(["always-cloud", "heuristic"], PROMPTS)
    lines = router_eval_table(rows)
    assert lines[0].split()[:4] == ["strategy", "n", "accuracy", "chat"]
    cloud = next(line for line in lines if line.startswith("always-cloud"))
    assert "100.0%" in cloud and f"{rows[0]['accuracy']:.1%}" in cloud
    heur = next(line for line in lines if line.startswith("heuristic"))
    assert f"{rows[1]['decide_ms_p50']:.3f}" in heur and f"{rows[1]['decide_ms_p99']:.3f}" in heur
    assert lines[-1].startswith("prompts sha256 ")
