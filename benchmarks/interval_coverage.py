"""Coverage and mean width of the summary's pass-rate interval and of the paired-difference interval.

Simulated sweeps with heterogeneous task difficulty (``analysis.simulate``): each task's pass probability
is drawn from a Beta distribution with the target mean and an intra-task correlation ``--icc`` (0.3: seeds
of a task agree far more often than independent draws would); arm B shares the task latent and each
(task, seed) shares one uniform draw across arms, as paired runs at temperature 0 do. The intervals are ``pytest_hybrid_eval.clustered`` — the functions the terminal
summary, the decision matrix and the recommendation call.

    .venv/bin/python benchmarks/interval_coverage.py           # full table (about a minute on one core)
    .venv/bin/python benchmarks/interval_coverage.py --quick   # small replicate count, for a smoke test
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from pytest_hybrid_eval.analysis.simulate import simulate_pairs
from pytest_hybrid_eval.clustered import diff_intervals, rate_intervals

TASKS = (5, 9, 36, 100)
SEEDS = (1, 3)
RATES = (0.1, 0.5, 0.9, 1.0)
#: Arm B's mean pass rate for each arm-A rate: the paired difference is A − B.
ARM_B = {0.1: 0.05, 0.5: 0.4, 0.9: 0.8, 1.0: 0.9}
TARGET = 0.93


def measure(
    rate: float, t: int, seeds: int, reps: int, resamples: int, icc: float, seed: int
) -> tuple[float, float, float, float, float]:
    rng = np.random.default_rng([seed, t, seeds, int(rate * 100)])
    d = simulate_pairs(rate, ARM_B[rate], t, seeds, reps, icc, rng)
    r = rate_intervals(d["a"], d["m"], n_resamples=resamples, rng=rng)
    cov_r = float(np.mean((r.lo <= rate + 1e-12) & (rate - 1e-12 <= r.hi)))
    true_d = rate - ARM_B[rate]
    q = diff_intervals(d["a"], d["b"], d["n10"], d["n01"], d["m"], n_resamples=resamples, rng=rng)
    cov_d = float(np.mean((q.lo <= true_d + 1e-12) & (true_d - 1e-12 <= q.hi)))
    one = diff_intervals(d["a"], d["b"], d["n10"], d["n01"], d["m"], n_resamples=resamples, rng=rng, sided=1)
    cov_1 = float(np.mean(one.lo <= true_d + 1e-12))
    return cov_r, float(np.mean(r.hi - r.lo)), cov_d, float(np.mean(q.hi - q.lo)), cov_1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=2000, help="simulated sweeps per setting")
    ap.add_argument("--resamples", type=int, default=400, help="bootstrap resamples per sweep")
    ap.add_argument("--icc", type=float, default=0.3, help="intra-task correlation of outcomes")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--quick", action="store_true", help="100 sweeps, 200 resamples (a smoke test)")
    args = ap.parse_args(argv)
    reps, resamples = (100, 200) if args.quick else (args.reps, args.resamples)
    t0 = time.perf_counter()
    print(f"coverage of nominal 95% intervals (two-sided; lower bound: one-sided 95%), {reps} simulated sweeps per row, icc {args.icc}, "
          f"{resamples} bootstrap resamples; target >= {TARGET}")
    print(f"{'tasks':>5} {'seeds':>5} {'rate':>5} {'diff':>6} | {'rate cover':>10} {'width':>6} | "
          f"{'diff cover':>10} {'width':>6} | {'lower-bound cover':>17}")
    worst = 1.0
    for t in TASKS:
        for s in SEEDS:
            for rate in RATES:
                cr, wr, cd, wd, c1 = measure(rate, t, s, reps, resamples, args.icc, args.seed)
                worst = min(worst, cr, cd, c1)
                flag = "" if min(cr, cd, c1) >= TARGET else "  <-- below target"
                print(f"{t:>5} {s:>5} {rate:>5.2f} {rate - ARM_B[rate]:>+6.2f} | {cr:>10.3f} {wr:>6.3f} | "
                      f"{cd:>10.3f} {wd:>6.3f} | {c1:>17.3f}{flag}")
    print(f"lowest coverage {worst:.3f}; {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
