"""Score a finished sweep again from its kept evidence: ``rescore`` (any scorer) and ``rejudge`` (d4 judge).

Why: a benchmark's tests get fixed after a sweep (a hidden test was wrong, a rubric too strict). Running
the agents again would cost the sweep again and change what is compared; the agents' final files are kept
in ``<out>/evidence/<cell_id>/files/``, so the cells can be scored again with the current task files and
a fresh sandbox. History is never rewritten: ``raw.jsonl`` is only read, and the new rows (same cell ids)
go to a new file, ``rescored-<UTC timestamp>.jsonl`` or ``rejudged-<UTC timestamp>.jsonl``, so the old
and the new verdicts can be compared and the analysis can be pointed at either.

The tasks come from the sweep's own record (``sweep.json``: the config with ``tasks.roots``, relative to
the directory pytest ran in); when that directory cannot be found, ``--roots`` names the task roots.
Cells whose evidence is missing (an agent that never ran, an evidence dir deleted) are listed in the
outcome and printed by the CLI; they are never silently dropped.
"""

from __future__ import annotations

import argparse
import time
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pytest_hybrid_eval.config import SweepConfig
from pytest_hybrid_eval.errors import HybridEvalError, TaskError
from pytest_hybrid_eval.results import Row
from pytest_hybrid_eval.sandbox.base import Sandbox
from pytest_hybrid_eval.scoring.base import ScoreResult
from pytest_hybrid_eval.scoring.registry import cell_context, score, scorer_name
from pytest_hybrid_eval.store.evidence import read_evidence
from pytest_hybrid_eval.store.layout import REJUDGED, RESCORED, SweepDir
from pytest_hybrid_eval.store.record import SweepRecord, read_record
from pytest_hybrid_eval.store.rows import RowWriter, read_rows
from pytest_hybrid_eval.tasks.model import Task
from pytest_hybrid_eval.usage import CallRecord, TokenCounts

RESCORE_NOTE = "rescored from evidence"
REJUDGE_NOTE = "rejudged from evidence"
# errors that belong to the scoring step: a new verdict replaces them; agent/backend errors stay
_SCORING_ERRORS = ("none", "score_error")


@dataclass
class Outcome:
    """What a rescore/rejudge did: the new file, its rows, and every cell it could not score and why."""

    path: Path
    rows: list[Row] = field(default_factory=list)
    missing_evidence: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (cell id, reason)
    roots: list[Path] = field(default_factory=list)
    changed: int = 0  # cells whose pass/fail verdict differs from raw.jsonl


# -- the sweep's task roots ------------------------------------------------------------------------------


def _base_candidates(out_dir: Path, record: SweepRecord) -> list[Path]:
    """Directories pytest may have run in, most likely first.

    A relative ``out_dir`` in the config was resolved against that directory, so stripping it from the
    sweep directory gives it back exactly; ``--rootdir`` in the recorded argv is next; then the current
    directory and the sweep directory's ancestors.
    """
    out = out_dir.resolve()
    candidates: list[Path] = []
    config = record.config
    configured = Path(config.out_dir.replace("{name}", config.name))
    if not configured.is_absolute():
        parts = configured.parts
        if len(out.parts) > len(parts) and out.parts[-len(parts):] == parts:
            candidates.append(Path(*out.parts[: -len(parts)]))
    argv = record.argv
    for i, arg in enumerate(argv):
        if arg.startswith("--rootdir="):
            candidates.append(Path(arg.split("=", 1)[1]))
        elif arg == "--rootdir" and i + 1 < len(argv):
            candidates.append(Path(argv[i + 1]))
    candidates.append(Path.cwd())
    candidates += list(out.parents)
    seen: set[Path] = set()
    unique = []
    for c in candidates:
        c = c.resolve()
        if c not in seen:
            seen.add(c)
            unique.append(c)
    return unique


def resolve_roots(out_dir: Path, record: SweepRecord, roots: list[str] | None = None,
                  needed: set[str] | None = None) -> tuple[list[Path], dict[str, Task]]:
    """The task roots and the tasks found there; explicit ``roots`` win over the recorded ones."""
    from pytest_hybrid_eval.tasks.model import discover_tasks
    from pytest_hybrid_eval.tasks.real_prs import materialize_roots

    def load(paths: list[Path]) -> dict[str, Task]:
        materialize_roots(paths)
        return {t.id: t for t in discover_tasks(paths)}

    if roots:
        paths = [Path(r).resolve() for r in roots]
        missing = [str(p) for p in paths if not p.is_dir()]
        if missing:
            raise HybridEvalError(f"task root(s) not found: {', '.join(missing)}; pass existing directories")
        return paths, load(paths)
    recorded = record.config.tasks.roots
    fallback: tuple[list[Path], dict[str, Task]] | None = None
    for base in _base_candidates(out_dir, record):
        paths = [(Path(r) if Path(r).is_absolute() else base / r).resolve() for r in recorded]
        if not all(p.is_dir() for p in paths):
            continue
        try:
            tasks = load(paths)
        except TaskError:
            continue
        if needed is None or needed <= set(tasks):
            return paths, tasks
        fallback = fallback or (paths, tasks)
    if fallback is not None:
        return fallback
    raise HybridEvalError(f"the sweep's task roots {recorded} were not found relative to the directory pytest "
                          f"ran in; pass --roots DIR [DIR ...] naming them")


def rescored_row(old: Row, sc: ScoreResult, scorer: str, note: str, sandbox: Sandbox | None = None,
                 extra_calls: list[CallRecord] | None = None) -> Row:
    """The old row with the new verdict: same ids, tokens and timings of the agent run, new outcome.

    An agent-side error (timeout, crash, backend failure) stays what it was — the new tests do not make
    the agent's run succeed — and such a row never passes; a scoring error is replaced by the new verdict.
    ``extra_calls`` (the judge's calls) are recorded as the row's scoring usage, never as routing cost.
    """
    if old.error in _SCORING_ERRORS:
        error = sc.error or "none"
        detail = sc.reason or "every test passed"
        reason = f"{note}: {detail}"
    else:
        error = old.error
        reason = f"{note}: {sc.reason or 'every test passed'} (the agent run's {old.error} stands: {old.reason})"
    update: dict = {
        "passed": sc.passed and error == "none",
        "tests_passed": sc.tests_passed,
        "tests_total": sc.tests_total,
        "error": error,
        "reason": reason[:2000],
        "scorer": scorer,
        "score_ms": sc.duration_s * 1000,
        "finished_at": datetime.now(UTC),
    }
    if sandbox is not None:
        update["provenance"] = old.provenance.model_copy(
            update={"sandbox_kind": sandbox.kind, "sandbox_isolated": sandbox.isolated})
    if extra_calls:  # the judge's calls: a cost of scoring, kept apart from the routed calls
        scoring = TokenCounts.sum_of([old.tokens.scoring, *(rec.usage for rec in extra_calls)])
        update["tokens"] = old.tokens.model_copy(update={"scoring": scoring})
        update["calls"] = old.calls.model_copy(update={
            "scoring": old.calls.scoring + len(extra_calls),
            "scoring_records": [*old.calls.scoring_records, *extra_calls]})
    return old.model_copy(update=update)


def _rows_and_tasks(sweep: SweepDir, roots: list[str] | None) -> tuple[SweepConfig, list[Row], list[Path], dict[str, Task]]:
    record = read_record(sweep)
    rows = read_rows(sweep.raw).rows
    paths, tasks = resolve_roots(sweep.path, record, roots, needed={r.task_id for r in rows})
    return record.config, rows, paths, tasks


# -- rescore ---------------------------------------------------------------------------------------------------


def rescore_sweep(out_dir: Path | str, new_file: Path | str | None = None, roots: list[str] | None = None,
                  sandbox: Sandbox | None = None) -> Outcome:
    """Score every cell of the sweep again from its evidence with the current task files; see module doc."""
    from pytest_hybrid_eval.sandbox.select import make_sandbox

    out_dir = Path(out_dir)
    sweep = SweepDir(out_dir)
    config, rows, paths, tasks = _rows_and_tasks(sweep, roots)
    target = sweep.new_results_file(RESCORED, new_file)
    if sandbox is None:
        with warnings.catch_warnings(record=True):
            warnings.simplefilter("always")
            # candidates never see references, the sweep's other cells or the repository rescore runs from
            sandbox = make_sandbox(config.sandbox, hide=[*paths, out_dir.resolve(), Path.cwd()])
    outcome = Outcome(path=target, roots=paths)
    writer = RowWriter(target)
    for old in rows:
        task = tasks.get(old.task_id)
        if task is None:
            outcome.skipped.append((old.cell_id, f"task {old.task_id!r} not found under {', '.join(map(str, paths))}"))
            continue
        files = read_evidence(sweep, old.cell_id, task.editable)
        if files is None:
            outcome.missing_evidence.append(old.cell_id)
            continue
        sc = score(task, files, cell_context(config, task, sandbox))  # rubric for reviews: the judge re-runs only through rejudge
        row = rescored_row(old, sc, sc.scorer, RESCORE_NOTE, sandbox)
        writer.append(row)
        outcome.rows.append(row)
        outcome.changed += row.passed != old.passed
    return outcome


def rescore(out_dir: Path | str, new_file: Path | str | None = None, roots: list[str] | None = None) -> Path:
    """``rescore_sweep`` returning just the new file; cells it could not score are raised as a warning."""
    outcome = rescore_sweep(out_dir, new_file, roots)
    _warn_unscored(outcome)
    return outcome.path


# -- rejudge ---------------------------------------------------------------------------------------------------


def rejudge_sweep(out_dir: Path | str, proxy_url: str | None = None, new_file: Path | str | None = None,
                  roots: list[str] | None = None) -> Outcome:
    """Judge every review cell (``scorer: rubric`` tasks) again with the LLM judge; see module doc.

    Without ``proxy_url`` the sweep's own services are started (the scripted backend when the sweep was
    scripted, else its configured live backends) and stopped at the end.
    """
    from pytest_hybrid_eval.routing.service import calls_after, fetch_usage, start_services

    sweep = SweepDir(out_dir)
    config, rows, paths, tasks = _rows_and_tasks(sweep, roots)
    review_rows = [r for r in rows if r.task_id in tasks and scorer_name(tasks[r.task_id]) == "rubric"]
    target = sweep.new_results_file(REJUDGED, new_file)
    outcome = Outcome(path=target, roots=paths)
    for r in rows:
        if r.task_id not in tasks:
            outcome.skipped.append((r.cell_id, f"task {r.task_id!r} not found under {', '.join(map(str, paths))}"))
    services = None
    if proxy_url is None:
        factory = None
        if config.backend == "scripted":
            from pytest_hybrid_eval.scripted import create_scripted_app

            factory = lambda: create_scripted_app(config, tasks)  # noqa: E731
        services = start_services(config, factory)
        proxy_url = services.proxy_url
    try:
        writer = RowWriter(target)
        for old in review_rows:
            task = tasks[old.task_id]
            files = read_evidence(sweep, old.cell_id, task.editable)
            if files is None:
                outcome.missing_evidence.append(old.cell_id)
                continue
            before = fetch_usage(proxy_url, old.cell_id)
            ctx = cell_context(config, task, None, proxy_url=proxy_url, cell_id=old.cell_id)
            sc = score(task, files, ctx, review_scorer="llm-judge")
            judge_calls = [c.model_copy(update={"features": {**c.features, "judge": True}})
                           for c in calls_after(proxy_url, old.cell_id, before)]
            row = rescored_row(old, sc, sc.scorer, REJUDGE_NOTE, extra_calls=judge_calls)
            writer.append(row)
            outcome.rows.append(row)
            outcome.changed += row.passed != old.passed
    finally:
        if services is not None:
            services.stop()
    return outcome


def rejudge(out_dir: Path | str, proxy_url: str | None = None, new_file: Path | str | None = None,
            roots: list[str] | None = None) -> Path:
    """``rejudge_sweep`` returning just the new file; cells it could not judge are raised as a warning."""
    outcome = rejudge_sweep(out_dir, proxy_url, new_file, roots)
    _warn_unscored(outcome)
    return outcome.path


def _warn_unscored(outcome: Outcome) -> None:
    if outcome.missing_evidence or outcome.skipped:
        parts = []
        if outcome.missing_evidence:
            parts.append(f"no evidence for {len(outcome.missing_evidence)} cell(s): "
                         + ", ".join(outcome.missing_evidence))
        parts += [f"{cid}: {why}" for cid, why in outcome.skipped]
        warnings.warn("not rescored — " + "; ".join(parts), stacklevel=3)


# -- CLI entry points ---------------------------------------------------------------------------------------


def configure_rescore_parser(sp: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Arguments of ``hybrid-eval rescore`` (the lead's cli.py adds the sub-parser and calls this)."""
    sp.add_argument("dir", help="the sweep's output directory (raw.jsonl, sweep.json, evidence/)")
    sp.add_argument("--roots", nargs="+", metavar="DIR", help="task roots, when the recorded ones cannot be found")
    sp.add_argument("--out", metavar="FILE", help="new results file (default: <dir>/rescored-<UTC time>.jsonl)")
    sp.set_defaults(fn=rescore_main)
    return sp


def configure_rejudge_parser(sp: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Arguments of ``hybrid-eval rejudge``."""
    sp.add_argument("dir", help="the sweep's output directory (raw.jsonl, sweep.json, evidence/)")
    sp.add_argument("--roots", nargs="+", metavar="DIR", help="task roots, when the recorded ones cannot be found")
    sp.add_argument("--out", metavar="FILE", help="new results file (default: <dir>/rejudged-<UTC time>.jsonl)")
    sp.add_argument("--proxy-url", help="a running proxy's URL incl. its secret prefix (default: start the "
                                        "sweep's own backends for the duration of the run)")
    sp.set_defaults(fn=rejudge_main)
    return sp


def _print_outcome(outcome: Outcome, verb: str, started: float) -> int:
    ok = sum(r.passed for r in outcome.rows)
    print(f"{verb} {len(outcome.rows)} cell(s) in {time.monotonic() - started:.1f}s: {ok} passed, "
          f"{len(outcome.rows) - ok} failed, {outcome.changed} changed verdict; written to {outcome.path}")
    for cid in outcome.missing_evidence:
        print(f"  not {verb}: {cid}: no evidence kept (evidence/{cid}/ is missing)")
    for cid, why in outcome.skipped:
        print(f"  not {verb}: {cid}: {why}")
    return 1 if outcome.missing_evidence or outcome.skipped else 0


def rescore_main(args: argparse.Namespace) -> int:
    """``hybrid-eval rescore DIR [--roots ...] [--out FILE]``; exit 1 when some cells could not be rescored."""
    started = time.monotonic()
    outcome = rescore_sweep(Path(args.dir), args.out, args.roots)
    return _print_outcome(outcome, "rescored", started)


def rejudge_main(args: argparse.Namespace) -> int:
    """``hybrid-eval rejudge DIR [--proxy-url URL] [--roots ...] [--out FILE]``; exit 1 when cells were left out."""
    started = time.monotonic()
    outcome = rejudge_sweep(Path(args.dir), args.proxy_url, args.out, args.roots)
    return _print_outcome(outcome, "rejudged", started)


__all__ = ["Outcome", "configure_rejudge_parser", "configure_rescore_parser", "rejudge", "rejudge_main",
           "rejudge_sweep", "rescore", "rescore_main", "rescore_sweep", "rescored_row", "resolve_roots"]
