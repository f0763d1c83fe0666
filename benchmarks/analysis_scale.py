"""Wall time of ``analyze`` on 1k, 10k and 100k synthetic rows (10,000 bootstrap resamples).

Layout per size: 5 agents × 5 strategies × tasks × seeds, so 100k rows = 5 × 5 × 200 tasks × 20 seeds.
The rows are written as real raw.jsonl so reading and validating them is part of the measured time.
Wall time is what the target is about; CPU time is printed too because a shared machine inflates wall
time. Usage: python benchmarks/analysis_scale.py [--sizes 1000,10000,100000] [--resamples 10000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from pytest_hybrid_eval.analysis import analyze
from pytest_hybrid_eval.analysis.synthetic import StrategySpec, synthetic_rows

STRATEGIES = {
    "always-local": StrategySpec(-0.5, 0.0, error_rate=0.02),
    "always-cloud": StrategySpec(1.5, 1.0, error_rate=0.02),
    "heuristic": StrategySpec(0.8, 0.35, error_rate=0.02),
    "cascade": StrategySpec(1.2, 0.2, error_rate=0.02),
    "llm-classifier": StrategySpec(0.6, 0.4, error_rate=0.02),
}
AGENTS = ("builtin", "aider", "cline", "opencode", "mini-swe")
LAYOUTS = {1_000: (10, 4), 10_000: (50, 8), 100_000: (200, 20)}  # rows -> (tasks, seeds)


def run(size: int, resamples: int, base: Path) -> tuple[float, float, float]:
    tasks, seeds = LAYOUTS.get(size, (max(1, size // (25 * 10)), 10))
    rows = synthetic_rows(STRATEGIES, n_tasks=tasks, agents=AGENTS, seeds=tuple(range(seeds)), rng_seed=size)
    d = base / f"rows{size}"
    d.mkdir()
    t0 = time.perf_counter()
    with (d / "raw.jsonl").open("w", encoding="utf-8") as fh:
        fh.writelines(r.model_dump_json() + "\n" for r in rows)
    write_s = time.perf_counter() - t0
    t0, c0 = time.perf_counter(), time.process_time()
    analyze(d, n_resamples=resamples)
    return write_s, time.perf_counter() - t0, time.process_time() - c0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--resamples", type=int, default=10_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            write_s, wall_s, cpu_s = run(size, args.resamples, Path(tmp))
            print(
                f"{size:>7} rows  analyze wall {wall_s:6.2f} s  cpu {cpu_s:6.2f} s  "
                f"(writing raw.jsonl {write_s:.2f} s, not counted)"
            )


if __name__ == "__main__":
    main()
