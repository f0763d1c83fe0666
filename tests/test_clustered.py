"""Task-clustered intervals: no collapse at the boundary, seeds not counted as tasks, the benchmark runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pytest_hybrid_eval.clustered import diff_intervals, rate_intervals, tango_bounds, wilson_z
from pytest_hybrid_eval.stats import wilson

ROOT = Path(__file__).resolve().parents[1]


def test_all_pass_and_all_fail_stay_open() -> None:
    m = np.full(9, 3)
    full = rate_intervals(np.full(9, 3), m, n_resamples=200).scalar()
    none = rate_intervals(np.zeros(9), m, n_resamples=200).scalar()
    assert full["hi"] == 1.0 and full["lo"] < 0.85  # 27/27 from 9 tasks is not proof of a rate above 0.9
    assert none["lo"] == 0.0 and none["hi"] > 0.15
    assert full["n_eff"] == 9  # no variation measured: seeds taken as fully correlated


def test_seeds_that_agree_count_as_one_task() -> None:
    rng = np.random.default_rng(3)
    per_task = (rng.random(12) < 0.5).astype(float)
    agree = rate_intervals(per_task * 3, np.full(12, 3), n_resamples=2000, rng=rng).scalar()
    single = rate_intervals(per_task, np.ones(12), n_resamples=2000, rng=rng).scalar()
    assert agree["n_eff"] == pytest.approx(12, rel=0.15)
    assert agree["hi"] - agree["lo"] == pytest.approx(single["hi"] - single["lo"], rel=0.1)
    row_lo, row_hi = wilson(int(per_task.sum() * 3), 36)
    assert agree["hi"] - agree["lo"] > 1.3 * (row_hi - row_lo)


def test_wilson_z_matches_scipy_wilson_on_integer_n() -> None:
    lo, hi = wilson_z(np.array([8 / 12]), np.array([12.0]), np.array([1.959963984540054]))
    assert (float(lo[0]), float(hi[0])) == pytest.approx(wilson(8, 12), abs=1e-9)


def test_paired_interval_without_discordant_pairs_is_not_a_point() -> None:
    lo, hi = tango_bounds(np.array([0.0]), np.array([0.0]), np.array([5.0]), 1.959963984540054)
    assert hi[0] == pytest.approx(wilson(0, 5)[1], abs=1e-6) and lo[0] == pytest.approx(-hi[0], abs=1e-6)
    ones = np.ones(5)
    res = diff_intervals(ones, ones, 0 * ones, 0 * ones, ones, n_resamples=100).scalar()
    assert res["estimate"] == 0 and res["lo"] < -0.3 and res["hi"] > 0.3


def test_tiny_sample_with_a_large_gap_is_detected_one_sided() -> None:
    # 5 tasks: A passes all, B one of five; A − B = 0.8, a one-sided lower bound must stay above 0
    a, b = np.ones(5), np.array([1.0, 0, 0, 0, 0])
    res = diff_intervals(a, b, a - b, 0 * a, np.ones(5), n_resamples=500, sided=1).scalar()
    assert 0 < res["lo"] < 0.8


def test_coverage_benchmark_quick_runs_and_reports() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "interval_coverage.py"), "--quick"],
        capture_output=True, text=True, timeout=120, cwd=ROOT, check=True,
    ).stdout
    rows = [ln for ln in out.splitlines() if ln[:5].strip().isdigit()]
    assert len(rows) == 4 * 2 * 4
    lowest = float(out.rsplit("lowest coverage ", 1)[1].split(";")[0])
    assert lowest >= 0.85  # 100 sweeps per row: loose, but the row-level Wilson interval scored 0.83


def test_rate_interval_keeps_coverage_just_below_one() -> None:
    # one seed per task: p = 0.985 with 9 tasks is covered only by intervals of 8/9 and 9/9; Wilson(t)
    # alone put the upper end of 8/9 at 0.984-0.988, so coverage there was P(9/9) = 0.87
    from scipy import stats as st

    t, p = 9, 0.985
    res = [rate_intervals(np.r_[np.ones(k), np.zeros(t - k)], np.ones(t), n_resamples=2000).scalar()
           for k in range(t + 1)]
    assert res[8]["hi"] >= 0.95 ** (1 / t)  # the upper end of 8/9 must reach the p where P(9/9) = 0.95
    cover = sum(st.binom.pmf(k, t, p) for k in range(t + 1) if res[k]["lo"] <= p <= res[k]["hi"])
    assert cover >= 0.95


def test_paired_lower_bound_keeps_coverage_with_one_seed() -> None:
    # one seed per task: n_eff is the task count, so the coverage of the one-sided lower bound is an exact
    # binomial sum. A always passes, B fails with probability p: A-only pairs ~ Bin(tasks, p), no B-only.
    # Without the continuity correction: 0.937 (36 tasks) and 0.927 (100 tasks) at p = 0.1.
    from scipy import stats as st

    for t in (36, 100):
        k = np.arange(t + 1)
        n10 = (np.arange(t)[None, :] < k[:, None]).astype(float)
        a = np.ones_like(n10)
        res = diff_intervals(a, a - n10, n10, 0 * a, a, n_resamples=50, sided=1)
        for p in (0.05, 0.1, 0.2, 0.3):
            cover = st.binom.pmf(k, t, p)[res.lo <= p + 1e-12].sum()
            assert cover >= 0.94, (t, p, cover)


def test_summary_note_and_method_label_name_the_clopper_pearson_floor() -> None:
    import pandas as pd

    from pytest_hybrid_eval.analysis.intervals import pass_rate_interval
    from pytest_hybrid_eval.summary import CI_NOTE

    assert "Clopper-Pearson" in CI_NOTE and "Wilson" in CI_NOTE
    graded = pd.DataFrame({"task_id": [f"t{i}" for i in range(9)], "_pass": [1.0] * 8 + [0.0]})
    iv = pass_rate_interval(graded, ("k",), n_resamples=100)
    assert iv["method"] == "clustered-wilson-t-cp-floor"
    assert iv["hi"] >= 0.95 ** (1 / 9)  # the floor is what moved this end (Wilson(t) alone: about 0.985)
