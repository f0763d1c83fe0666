"""End-to-end analysis on synthetic sweeps with known ground truth and on rows of hybrid-coding-eval."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_hybrid_eval.analysis import analyze, load, summarize_hybrid_coding_eval
from pytest_hybrid_eval.analysis.frame import add_costs
from pytest_hybrid_eval.analysis.synthetic import StrategySpec, synthetic_rows
from pytest_hybrid_eval.errors import ResultsError
from pytest_hybrid_eval.pricing import load_table
from pytest_hybrid_eval.results import Row

FIXTURES = Path(__file__).parent / "fixtures" / "hybrid_coding_eval"
PREDECESSOR_DATA = Path("/work/shared/datasets")  # hybrid-coding-eval's published runs


def _write(tmp: Path, rows: list[Row], name: str = "sweep") -> Path:
    d = tmp / name
    d.mkdir(parents=True)
    (d / "raw.jsonl").write_text("".join(r.model_dump_json() + "\n" for r in rows), encoding="utf-8")
    return d


def _decision(out: Path, agent: str) -> dict:
    return next(d for d in json.loads((out / "decisions.json").read_text()) if d["agent"] == agent)


def test_different_skill_found_and_better_strategy_recommended(tmp_path: Path) -> None:
    rows = synthetic_rows(
        {"always-local": StrategySpec(-1.5, 0.0), "always-cloud": StrategySpec(2.0, 1.0)},
        n_tasks=24,
        seeds=(1, 2, 3),
    )
    out = analyze(_write(tmp_path, rows), n_resamples=2000, by=[])
    comps = json.loads((out / "comparisons.json").read_text())
    (c,) = comps
    assert {c["a"], c["b"]} == {"always-cloud", "always-local"} and c["significant"]
    assert c["n_pairs"] == 72
    d = _decision(out, "builtin")
    assert d["best"] == "always-cloud" and d["recommended"] == "always-cloud"
    assert d["evidence"] is True and "every cheaper strategy is shown worse" in d["reason"]
    md = (out / "decision_matrix.md").read_text()
    assert "**Recommended: always-cloud**" in md and "(scripted backend — not model quality)" in md


def test_equal_skill_on_16_tasks_is_not_enough_evidence(tmp_path: Path) -> None:
    rows = synthetic_rows(
        {
            "always-local": StrategySpec(0.5, 0.0),
            "always-cloud": StrategySpec(0.5, 1.0),
            "cascade": StrategySpec(0.5, 0.3),
        },
        n_tasks=16,
        agents=("a1", "a2"),
        seeds=(1, 2),
        rng_seed=3,
    )
    out = analyze(_write(tmp_path, rows), n_resamples=2000, by=[])
    for agent in ("a1", "a2", "(all agents)"):
        d = _decision(out, agent)
        # equal skills, but 16 tasks cannot show any route within 5 points of another: the cheapest is
        # recommended only with that evidence; here the rule says it has none and names the best estimate
        assert d["evidence"] is False and d["reason"].startswith("Not enough evidence"), d["reason"]
        assert d["recommended"] == d["best"]
    assert not any(c["significant"] for c in json.loads((out / "comparisons.json").read_text()))


def test_outputs_are_complete_and_self_contained(tmp_path: Path) -> None:
    rows = synthetic_rows({"x": StrategySpec(0.0, 0.5), "y": StrategySpec(1.0, 0.1)}, n_tasks=8, seeds=(1, 2))
    out = analyze(_write(tmp_path, rows), n_resamples=500, by="task_class")
    for name in (
        "aggregate.json",
        "intervals.json",
        "comparisons.json",
        "comparisons.md",
        "decision_matrix.md",
        "token_budget.md",
        "token_budget.csv",
        "report.html",
        "provenance.json",
        "power.json",
    ):
        assert (out / name).stat().st_size > 0, name
    charts = sorted(p.name for p in (out / "charts").iterdir())
    assert charts == ["cloud_share.png", "heatmap_cost.png", "heatmap_pass_rate.png", "pareto.png"]
    assert all((out / "charts" / c).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for c in charts)
    html = (out / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 4 and "<script" not in html and 'src="http' not in html
    assert "scripted backend — not model quality" in html and load_table().sha256 in html
    decisions = json.loads((out / "decisions.json").read_text())
    assert {d["task_class"] for d in decisions} == {"A", "B", "C", "D"}
    with pytest.raises(ResultsError, match="not a result column"):
        analyze(out.parent, by="nope", n_resamples=100)


def test_error_rows_count_as_failures_and_are_labelled(tmp_path: Path) -> None:
    rows = synthetic_rows({"flaky": StrategySpec(3.0, 0.5, error_rate=0.3)}, n_tasks=20, seeds=(1, 2, 3))
    out = analyze(_write(tmp_path, rows), n_resamples=200, by=[])
    (g,) = [g for g in json.loads((out / "aggregate.json").read_text())["groups"] if g["strategy"] == "flaky"]
    assert g["rows"] == g["graded"] == 60 and g["infra_errors"] > 5
    assert g["pass_rate"] < g["pass_rate_excl_infra"]
    assert g["pass_rate"] == pytest.approx(g["passed"] / 60)
    assert "excl. infra errors" in (out / "decision_matrix.md").read_text()


def test_frame_from_rows_dedupes_and_prices(tmp_path: Path) -> None:
    rows = synthetic_rows({"s": StrategySpec(0.0, 1.0)}, n_tasks=2, seeds=(1,))
    retry = rows[0].model_copy(update={"passed": not rows[0].passed})
    d = _write(tmp_path, [*rows, retry])
    df = load(d)
    assert len(df) == 2 and bool(df.set_index("cell_id").loc[rows[0].cell_id, "passed"]) == retry.passed
    t = load_table()
    priced = add_costs(df, t, ["claude-haiku-4-5"], "gpt-5.5")
    for r in rows:
        exp = t.row_cost(r if r.cell_id != retry.cell_id else retry, "claude-haiku-4-5")
        assert priced.set_index("cell_id").loc[r.cell_id, "cost__claude-haiku-4-5"] == pytest.approx(exp)
    assert load(tmp_path).shape[0] == 2  # a folder of sweeps


def test_hybrid_coding_eval_early_fixture_semantics() -> None:
    df = load(FIXTURES / "early")
    assert len(df) == 8 and set(df["source_format"]) == {"hybrid-coding-eval-early"}
    by = df.set_index(["task_id", "strategy", "seed"])
    assert not by.loc[("suite/beta", "R2", 0), "graded"]  # functional_pass null: not graded
    err = by.loc[("suite/gamma", "R1", 0)]
    assert err["graded"] and not err["passed"] and err["error"] == "agent_error"
    assert sorted(df[df["task_id"] == "other/delta"]["seed"]) == [0, 1]  # repeated runs become seeds
    assert set(df["agent"]) == {"early"}  # no variant: the sweep (folder) names the system
    priced = add_costs(df, load_table(), [], "openai-gpt5.5").set_index(["task_id", "strategy", "seed"])[
        "cost"
    ]
    assert priced[("suite/alpha", "R1", 0)] == pytest.approx(
        (800_000 * 5 + 200_000 * 0.5 + 100_000 * 30) / 1e6
    )
    assert priced[("suite/beta", "R1", 0)] == pytest.approx(2_000_000 * 0.5 / 1e6)  # cached capped at prompt
    assert priced[("other/delta", "R3", 0)] == pytest.approx(5.0)  # no split: all cloud
    assert priced[("suite/alpha", "R2", 0)] == 0.0  # local is free
    s = summarize_hybrid_coding_eval(df).set_index("strategy")
    assert s.loc["R1", "graded"] == 3 and s.loc["R1", "passed"] == 2
    assert s.loc["R2", "rows"] == 3 and s.loc["R2", "graded"] == 2
    assert s.loc["R1", "cost__gpt-5.5"] == pytest.approx(7.1 + 1.0 + 0.5)


def test_hybrid_coding_eval_late_fixture_and_analysis(tmp_path: Path) -> None:
    df = load(FIXTURES / "late")
    assert set(df["agent"]) == {"cline", "aider"} and set(df["seed"]) == {1, 2}
    assert set(df["strategy"]) == {"always-cloud", "always-local", "cascade"}
    timed_out = df[df["error"] == "agent_timeout"]
    assert len(timed_out) == 1 and bool(timed_out["graded"].iloc[0]) and not timed_out["passed"].iloc[0]
    s = summarize_hybrid_coding_eval(df, scenarios=["anthropic-claude-haiku-4.5"]).set_index(["agent", "strategy"])
    assert s.loc[("cline", "always-local"), "pass_rate"] == pytest.approx(4 / 6)
    assert s.loc[("cline", "always-cloud"), "cost__claude-haiku-4-5"] == pytest.approx(6 * (0.1 + 0.05))
    out = analyze(FIXTURES / "late", out=tmp_path / "a", n_resamples=300)
    assert "(live backend)" in (out / "decision_matrix.md").read_text()
    assert (out / "hybrid_coding_eval_summary.csv").exists()


@pytest.mark.skipif(not PREDECESSOR_DATA.is_dir(), reason="hybrid-coding-eval's datasets not present")
def test_real_hybrid_coding_eval_datasets(tmp_path: Path) -> None:
    df = load(PREDECESSOR_DATA)
    assert len(df) == 430 and set(df["task_class"]) == {"A", "B", "C", "D"}
    s = summarize_hybrid_coding_eval(df)
    assert int(s["rows"].sum()) == 430 and (s.loc[s["strategy"] == "R2", "cost__gpt-5.5"] == 0).all()
    out = analyze(PREDECESSOR_DATA, out=tmp_path / "hce", n_resamples=300)
    assert (out / "report.html").exists()


def test_reader_tolerates_torn_tail_but_not_a_bad_middle_line(tmp_path: Path) -> None:
    rows = synthetic_rows({"s": StrategySpec(0.0, 0.5)}, n_tasks=3, seeds=(1,))
    d = _write(tmp_path, rows)
    raw = d / "raw.jsonl"
    raw.write_text(raw.read_text() + rows[0].model_dump_json()[:40], encoding="utf-8")  # crash mid-write
    assert len(load(d)) == 3
    lines = raw.read_text().split("\n")
    lines[1] = '{"sweep": "x"}'
    raw.write_text("\n".join(lines[:3]) + "\n", encoding="utf-8")
    with pytest.raises(ResultsError, match=r"raw\.jsonl:2:"):
        load(d)


def test_all_failing_sweep_says_the_ranking_is_cost_only(tmp_path: Path) -> None:
    rows = synthetic_rows(
        {"a": StrategySpec(0.0, 0.5, error_rate=1.0), "b": StrategySpec(0.0, 0.0, error_rate=1.0)},
        n_tasks=3,
        seeds=(1,),
    )
    out = analyze(_write(tmp_path, rows), n_resamples=200)
    d = _decision(out, "builtin")
    assert d["evidence"] is False and d["reason"].startswith("No strategy passed")
