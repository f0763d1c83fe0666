"""Scoring time per cell, this tree against a baseline revision, in one run.

What it measures: the wall time of one ``score`` call (sandbox start, the checks, the verdict) for the
reference and the decoy of every task of the suite, under bubblewrap as a sweep runs it. The baseline is
another git revision of this repository (default: the last one before verdicts moved out of the candidate's
process), checked out into a temporary worktree and measured by this same script in a subprocess, with
that revision's own tasks and scorer. Cache warm-up (the pytest scorer's reference collect-only) is done
before timing, as in a sweep where each task's first cell pays it once.

    python benchmarks/scoring_time.py                 # this tree vs the baseline, 3 repetitions
    python benchmarks/scoring_time.py --repeat 5 --json out.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BASELINE_REV = "4b0f52c"  # scoring in the candidate's process (pytest + guard), before the redesign


def _scorer():
    """(score(task, files) -> passed, name) for whichever scoring API this tree has."""
    from pytest_hybrid_eval.sandbox.bwrap import BwrapSandbox

    sandbox = BwrapSandbox(hide=[Path.cwd() / "bench_suites"])
    try:
        from pytest_hybrid_eval.scoring.base import ScoreContext
        from pytest_hybrid_eval.scoring.registry import score

        def run(task, files):
            r = score(task, files, ScoreContext(sandbox, task.test_timeout_s))
            return r.passed, r.scorer
    except ImportError:  # the baseline's single-module scorer
        from pytest_hybrid_eval.scoring import score as old_score

        def run(task, files):
            return old_score(task, files, sandbox, timeout_s=task.test_timeout_s).passed, "pytest"
    return run


def measure(repeat: int) -> dict:
    """Per task: median seconds for the reference and the decoy, and the scorer used."""
    from pytest_hybrid_eval.tasks.model import discover_tasks

    run = _scorer()
    out: dict[str, dict] = {}
    for task in discover_tasks([Path.cwd() / "bench_suites/puzzles", Path.cwd() / "bench_suites/refactors"]):
        if task.scorer == "rubric":
            continue
        entry: dict = {}
        for label, files in (("reference", task.reference_files()), ("decoy", task.decoy_files() or {})):
            run(task, files)  # warm-up: caches, page cache
            times = []
            for _ in range(repeat):
                t0 = time.perf_counter()
                passed, scorer = run(task, files)
                times.append(time.perf_counter() - t0)
            entry[label] = {"median_s": statistics.median(times), "passed": passed}
            entry["scorer"] = scorer
        out[task.id] = entry
    return out


def baseline(rev: str, repeat: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="hev-baseline-") as tmp:
        tree = Path(tmp) / "tree"
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", "-q", str(tree), rev], check=True)
        try:
            env = {**os.environ, "PYTHONPATH": str(tree)}
            proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--worker", "--repeat", str(repeat)],
                                  cwd=tree, env=env, capture_output=True, text=True, check=False)  # fmt: skip
            if proc.returncode != 0:
                raise SystemExit(f"baseline {rev} failed: {proc.stderr.strip().splitlines()[-1:]}")
            return json.loads(proc.stdout)
        finally:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(tree)], check=False)


def _median(side: dict, label: str) -> float:
    return statistics.median(v[label]["median_s"] for v in side.values())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--baseline-rev", default=BASELINE_REV)
    ap.add_argument("--json", type=Path, help="write both sides' figures here")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(measure(args.repeat)))
        return 0
    os.chdir(REPO)
    now = measure(args.repeat)
    before = baseline(args.baseline_rev, args.repeat)
    print(f"{'task':<30} {'scorer':<7} {'before ref':>10} {'after ref':>10} {'before decoy':>12} {'after decoy':>11}")
    for tid in sorted(now):
        b = before.get(tid)
        if b is None:
            continue
        print(f"{tid:<30} {now[tid]['scorer']:<7} {b['reference']['median_s'] * 1000:>8.0f}ms "
              f"{now[tid]['reference']['median_s'] * 1000:>8.0f}ms {b['decoy']['median_s'] * 1000:>10.0f}ms "
              f"{now[tid]['decoy']['median_s'] * 1000:>9.0f}ms")  # fmt: skip
    common = {t: now[t] for t in now if t in before}
    base = {t: before[t] for t in common}
    for label in ("reference", "decoy"):
        b, a = _median(base, label), _median(common, label)
        print(f"median over {len(common)} tasks ({label}): before {b * 1000:.0f} ms, after {a * 1000:.0f} ms, "
              f"difference {(a - b) * 1000:+.0f} ms, ratio after/before {a / b:.2f}")
    wrong = [t for t in common if not common[t]["reference"]["passed"] or common[t]["decoy"]["passed"]]
    if wrong:
        print(f"WARNING: reference failed or decoy passed for: {', '.join(wrong)}")
    if args.json:
        args.json.write_text(json.dumps({"before": before, "after": now, "baseline_rev": args.baseline_rev}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
