"""Sweep throughput and harness overhead per cell for -n 0/1/2 on the scripted backend.

Prints, for the same selection of cells run three ways: wall time, cells per minute, speed-up against
`-n 0`, and the harness overhead per cell — everything except model time (the proxy's per-call
total_ms) and test time (visible tests inside the agent + scoring) — derived from the rows themselves.
Targets (issue 7): overhead <= 150 ms per cell; -n 2 >= 1.7x the throughput of -n 0 on 2 cores.

    python benchmarks/sweep_throughput.py [-k EXPR] [--seeds 1,2]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def run_sweep(workers: str, out: Path, expr: str, seeds: str) -> float:
    cmd = [sys.executable, "-m", "pytest", "bench_suites", "-q", "-p", "no:cacheprovider", "--hybrid-no-report",
           "--hybrid-out", str(out), "--hybrid-seeds", seeds, "--hybrid-strategies", "always-cloud,always-local",
           "--hybrid-set", "agent.max_turns=1", "-k", expr]
    if workers != "0":
        cmd += ["-n", workers]
    else:
        cmd += ["-p", "no:xdist"]
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=1800)
    return time.perf_counter() - t0


def overhead_ms(rows: list[dict]) -> float:
    per_cell = []
    for r in rows:
        model = sum(c["total_ms"] for c in r["calls"]["records"])
        tests = float(r.get("agent_extra", {}).get("tests_ms", 0.0)) + r["score_ms"]
        per_cell.append(r["wall_ms"] - model - tests)
    per_cell.sort()
    return per_cell[len(per_cell) // 2]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-k", default="puzzles or d6 or d2", help="cell selection (pytest -k)")
    ap.add_argument("--seeds", default="1,2")
    args = ap.parse_args()
    base = None
    print(f"{'workers':>7} {'cells':>6} {'wall s':>8} {'cells/min':>10} {'speed-up':>9} {'overhead/cell (median, in-cell)':>32} {'session overhead/cell':>22}")
    with tempfile.TemporaryDirectory() as tmp:
        for workers in ("0", "1", "2"):
            out = Path(tmp) / f"n{workers}"
            wall = run_sweep(workers, out, args.k, args.seeds)
            rows = [json.loads(line) for line in (out / "raw.jsonl").read_text().splitlines()]
            cpm = len(rows) / wall * 60
            base = base or cpm
            # session overhead: wall clock not spent inside any cell (start-up, collection, proxy, teardown)
            busy = sum(r["wall_ms"] for r in rows) / 1000 / max(int(workers), 1)
            session = max(wall - busy, 0.0) / len(rows) * 1000
            print(f"{workers:>7} {len(rows):>6} {wall:>8.1f} {cpm:>10.1f} {cpm / base:>8.2f}x "
                  f"{overhead_ms(rows):>29.1f} ms {session:>19.1f} ms")


if __name__ == "__main__":
    main()
