"""Statistics against known values and against constructions where the wrong method must fail."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as st

from pytest_hybrid_eval.bootstrap import cluster_bootstrap, group_rng, naive_bootstrap, paired_bootstrap
from pytest_hybrid_eval.stats import (
    jeffreys,
    mcnemar_exact,
    pass_at_k,
    pass_hat_k,
    power_tasks,
    wilson,
    wilson_many,
)


@pytest.mark.parametrize(
    ("k", "n", "lo", "hi"),
    [(24, 24, 0.86202, 1.0), (0, 24, 0.0, 0.13798), (8, 12, 0.39062, 0.86188), (1, 2, 0.09453, 0.90547)],
)
def test_wilson_known_values(k: int, n: int, lo: float, hi: float) -> None:
    assert wilson(k, n) == pytest.approx((lo, hi), abs=1e-5)


def test_wilson_matches_scipy_and_vectorised_version() -> None:
    ks, ns = [], []
    for n in range(1, 40):
        for k in range(n + 1):
            ks.append(k)
            ns.append(n)
    lo, hi = wilson_many(np.array(ks), np.array(ns))
    for k, n, a, b in zip(ks, ns, lo, hi, strict=True):
        ci = st.binomtest(k, n).proportion_ci(method="wilson")
        assert (a, b) == pytest.approx((ci.low, ci.high), abs=1e-12)
    assert wilson(0, 0) == (0.0, 1.0)
    assert tuple(x[0] for x in wilson_many(np.array([0]), np.array([0]))) == (0.0, 1.0)
    assert wilson(3, 10, conf=0.99)[1] > wilson(3, 10, conf=0.95)[1]


def test_jeffreys_endpoints_and_interior() -> None:
    assert jeffreys(0, 24) == pytest.approx((0.0, st.beta.ppf(0.975, 0.5, 24.5)))
    assert jeffreys(24, 24) == pytest.approx((st.beta.ppf(0.025, 24.5, 0.5), 1.0))
    assert jeffreys(8, 12) == pytest.approx((0.38756, 0.87546), abs=1e-5)
    assert jeffreys(0, 0) == (0.0, 1.0)
    with pytest.raises(ValueError):
        jeffreys(5, 4)
    with pytest.raises(ValueError):
        wilson(-1, 4)


def test_mcnemar_hand_table() -> None:
    # 8 discordant pairs, 7 go A's way: p = 2 * P(X <= 1 | Bin(8, 1/2)) = 2 * 9/256
    assert mcnemar_exact(7, 1) == pytest.approx(18 / 256)
    assert mcnemar_exact(1, 7) == pytest.approx(18 / 256)
    assert mcnemar_exact(4, 4) == pytest.approx(1.0)
    assert mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(10, 0) == pytest.approx(2 / 1024)


def test_pass_at_k_and_pass_hat_k() -> None:
    assert pass_at_k(5, 2, 2) == pytest.approx(0.7)
    assert pass_at_k(5, 2, 1) == pytest.approx(0.4)
    assert pass_at_k(3, 0, 3) == 0.0
    assert pass_at_k(10, 8, 3) == 1.0
    assert pass_hat_k(5, 2, 2) == pytest.approx(0.1)
    assert pass_hat_k(3, 3, 3) == 1.0
    assert pass_hat_k(4, 3, 1) == pytest.approx(0.75)
    with pytest.raises(ValueError):
        pass_at_k(3, 1, 4)


def test_power_tasks_normal_approximation() -> None:
    z = st.norm.ppf(0.975) + st.norm.ppf(0.8)
    assert power_tasks(0.5, 0.2) == math.ceil(z * z * (0.25 + 0.21) / 0.04) == 91
    assert power_tasks(0.5, 0.2, paired_correlation=0.5) < 91
    assert power_tasks(0.5, -0.2) == math.ceil(z * z * (0.25 + 0.21) / 0.04)
    # 3 seeds per task with no intra-task correlation: a third of the tasks; with icc = 1 no saving
    assert power_tasks(0.5, 0.2, seeds_per_task=3) == 31
    assert power_tasks(0.5, 0.2, seeds_per_task=3, icc=1.0) == 91
    with pytest.raises(ValueError):
        power_tasks(0.9, 0.2)


def _clustered(n_tasks: int = 10, n_seeds: int = 20) -> pd.DataFrame:
    # half the tasks always pass, half always fail: all the variation is between tasks
    rows = [(t, s, float(t % 2 == 0)) for t in range(n_tasks) for s in range(n_seeds)]
    return pd.DataFrame(rows, columns=["task_id", "seed", "passed"])


def test_cluster_bootstrap_is_wider_than_naive_on_clustered_data() -> None:
    df = _clustered()
    cl = cluster_bootstrap(df, n_resamples=4000, rng=np.random.default_rng(1))
    nv = naive_bootstrap(df["passed"].to_numpy(), n_resamples=4000, rng=np.random.default_rng(1))
    assert cl.estimate == nv.estimate == 0.5
    # 10 independent units vs 200 pretend-independent rows: SE ratio about sqrt(20)
    assert (cl.hi - cl.lo) > 3 * (nv.hi - nv.lo)
    assert cl.se == pytest.approx(math.sqrt(0.25 / 10), rel=0.15)
    assert nv.se == pytest.approx(math.sqrt(0.25 / 200), rel=0.15)
    assert cl.n_clusters == 10 and cl.n_units == 200


def test_vectorised_paths_agree_with_the_slow_reference() -> None:
    rng = np.random.default_rng(5)
    p = rng.uniform(0, 1, 12)
    rows = [(t, s, float(rng.random() < p[t]), rng.exponential(2.0)) for t in range(12) for s in range(4)]
    df = pd.DataFrame(rows, columns=["task_id", "seed", "passed", "cost"])
    for col in ("passed", "cost"):  # binomial-chain path and explicit-index path
        fast = cluster_bootstrap(df, stat=col, n_resamples=6000, rng=np.random.default_rng(2))
        slow = cluster_bootstrap(
            df, stat=lambda d, c=col: float(d[c].mean()), n_resamples=600, rng=np.random.default_rng(3)
        )
        assert fast.estimate == pytest.approx(slow.estimate)
        assert fast.se == pytest.approx(slow.se, rel=0.2)


def test_group_generator_is_stable_and_independent() -> None:
    a = group_rng(("pass", "agent", "cascade")).random(3)
    b = group_rng(("pass", "agent", "cascade")).random(3)
    c = group_rng(("pass", "agent", "heuristic")).random(3)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    df = _clustered()
    r1 = cluster_bootstrap(df, n_resamples=500, key=("x",))
    r2 = cluster_bootstrap(df, n_resamples=500, key=("x",))
    assert r1 == r2


def _paired(delta_fail: float, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    base = [(t, s, float(rng.random() < 0.8)) for t in range(30) for s in range(3)]
    a = pd.DataFrame(base, columns=["task_id", "seed", "passed"]).assign(strategy="A")
    b = a.assign(strategy="B", passed=a["passed"] * (rng.random(len(a)) >= delta_fail))
    return pd.concat([a, b], ignore_index=True)


def test_paired_bootstrap_detects_a_real_difference() -> None:
    r = paired_bootstrap(_paired(0.5), "A", "B", n_resamples=3000)
    assert r.diff.lo > 0 and r.mcnemar_p < 1e-6 and r.b_only == 0 and r.a_only > 20
    assert r.rate_a - r.rate_b == pytest.approx(r.diff.estimate)
    rev = paired_bootstrap(_paired(0.5), "B", "A", n_resamples=3000)
    assert rev.diff.hi < 0 and rev.a_only == r.b_only


def test_paired_bootstrap_identical_strategies() -> None:
    r = paired_bootstrap(_paired(0.0), "A", "B", n_resamples=1000)
    assert (r.diff.estimate, r.diff.lo, r.diff.hi) == (0.0, 0.0, 0.0)
    assert r.mcnemar_p == 1.0
    with pytest.raises(ValueError):
        paired_bootstrap(_paired(0.0), "A", "missing")


def test_moment_matched_within_task_stage_agrees_with_exact(monkeypatch: pytest.MonkeyPatch) -> None:
    import pytest_hybrid_eval.bootstrap as stats_mod

    rng = np.random.default_rng(11)
    p = rng.uniform(0.1, 0.9, 60)
    rows = [(t, s, float(rng.random() < p[t])) for t in range(60) for s in range(6)]
    df = pd.DataFrame(rows, columns=["task_id", "seed", "passed"])
    monkeypatch.setattr(stats_mod, "EXACT_DRAW_BUDGET", 10**12)
    exact = cluster_bootstrap(df, n_resamples=8000, rng=np.random.default_rng(1))
    monkeypatch.setattr(stats_mod, "EXACT_DRAW_BUDGET", 0)
    approx = cluster_bootstrap(df, n_resamples=8000, rng=np.random.default_rng(1))
    assert approx.se == pytest.approx(exact.se, rel=0.08)
    assert (approx.lo, approx.hi) == pytest.approx((exact.lo, exact.hi), abs=0.012)
