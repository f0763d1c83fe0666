"""How often the recommendation rule picks a cheaper strategy that is truly worse (the error it controls).

Two strategies, the cheaper one truly ``gap`` below the costlier (rates 0.8 − gap and 0.8), task difficulty
heterogeneous (Beta with intra-task correlation ``--icc``), one or three seeds per task, and the two arms'
draws either shared per (task, seed) — the scripted backend's paired runs — or independent given the task.
Each simulated sweep goes through ``analysis.rule_check.simulated_choices``: the bounds and the choice
``decision_matrix`` uses. "recommended" (with evidence: shown non-inferior) must stay ≤ 0.05, the rule's
level; "cheaper best" is how often the cheaper arm had the highest observed rate, when the group names it
as its best point estimate with evidence false ("not enough evidence") — the earlier rule recommended it
as if tested. The rows with gap 0 show the other side: how often equal strategies let the cheaper one be
recommended with evidence (the rule's power).

    .venv/bin/python benchmarks/decision_error.py           # full table
    .venv/bin/python benchmarks/decision_error.py --quick   # few replicates, a smoke test
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from pytest_hybrid_eval.analysis.rule_check import simulated_choices
from pytest_hybrid_eval.analysis.simulate import simulate_arms

#: (tasks, true gap) settings; the gap-0 rows measure power, not error.
SETTINGS = ((5, 0.60), (9, 0.55), (36, 0.15), (36, 0.07), (100, 0.0))
SEEDS = (1, 3)
COSTLY_RATE = 0.8
MARGIN = 0.05
LEVEL = 0.05


def measure(
    tasks: int, gap: float, seeds: int, shared: bool, reps: int, resamples: int, icc: float, seed: int
) -> tuple[float, float]:
    """(share of sweeps recommending the cheaper arm *with evidence*, share where it had the best observed
    rate — then it is named as the unbacked best point estimate, with evidence false)."""
    rng = np.random.default_rng([seed, tasks, int(gap * 100), seeds, int(shared)])
    x = simulate_arms((COSTLY_RATE - gap, COSTLY_RATE), tasks, seeds, reps, icc, rng, shared)
    choices = simulated_choices(x, (0.0, 1.0), MARGIN, resamples, rng)
    rec = float(np.mean([c.recommended == "0" and c.evidence for c in choices]))
    best = float(np.mean([c.best == "0" for c in choices]))
    return rec, best


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=2000, help="simulated sweeps per row")
    ap.add_argument("--resamples", type=int, default=400, help="bootstrap resamples per sweep (design effect)")
    ap.add_argument("--icc", type=float, default=0.3, help="intra-task correlation of outcomes")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--quick", action="store_true", help="200 sweeps, 200 resamples (a smoke test)")
    args = ap.parse_args(argv)
    reps, resamples = (200, 200) if args.quick else (args.reps, args.resamples)
    t0 = time.perf_counter()
    print(f"cheaper arm truly worse by 'gap' (costlier arm at {COSTLY_RATE}); margin {MARGIN}, {reps} simulated "
          f"sweeps per row, icc {args.icc}, {resamples} bootstrap resamples; error target <= {LEVEL}")
    print(f"{'tasks':>5} {'gap':>5} {'seeds':>5} {'draws':>11} | {'recommended':>11} | {'cheaper best':>12}")
    worst = 0.0
    for tasks, gap in SETTINGS:
        for seeds in SEEDS:
            for shared in (True, False):
                rec, best = measure(tasks, gap, seeds, shared, reps, resamples, args.icc, args.seed)
                is_error = gap > MARGIN
                if is_error:
                    worst = max(worst, rec)
                flag = "  <-- above target" if is_error and rec > LEVEL else ("  (power)" if not is_error else "")
                print(f"{tasks:>5} {gap:>5.2f} {seeds:>5} {'shared' if shared else 'independent':>11} | "
                      f"{rec:>11.3f} | {best:>12.3f}{flag}")
    print(f"highest error rate {worst:.3f}; {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
