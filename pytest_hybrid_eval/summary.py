"""The terminal summary: one line per (class, agent, strategy) group with a small-n interval."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from pytest_hybrid_eval.pricing import PricingTable
from pytest_hybrid_eval.results import Row
from pytest_hybrid_eval.stats import wilson


def summary_lines(rows: Iterable[Row], pricing: PricingTable, scenario: str) -> list[str]:
    groups: dict[tuple[str, str, str], list[Row]] = defaultdict(list)
    for r in rows:
        groups[(r.task_class, r.agent, r.strategy)].append(r)
    header = f"{'class':<10} {'agent':<10} {'strategy':<15} {'n':>4} {'pass':>5} {'rate':>5} {'95% Wilson':>13} {'err':>4} {'cloud tok':>9} {'$/cell':>9}"
    lines = [header, "-" * len(header)]
    for (cls, agent, strategy), rs in sorted(groups.items()):
        n, k = len(rs), sum(r.passed for r in rs)
        lo, hi = wilson(k, n)
        errors = sum(r.error != "none" for r in rs)
        cloud = sum(r.tokens.cloud.total for r in rs)
        total = cloud + sum(r.tokens.local.total + r.tokens.aux.total for r in rs)
        share = f"{cloud / total:.0%}" if total else "-"
        cost = sum(pricing.row_cost(r, scenario) for r in rs) / n
        lines.append(
            f"{cls:<10} {agent:<10} {strategy:<15} {n:>4} {k:>5} {k / n:>5.0%} "
            f"{f'[{lo:.0%}, {hi:.0%}]':>13} {errors:>4} {share:>9} {cost:>9.4f}"
        )
    return lines


def write_summary(tr, sess, report: bool) -> None:
    """The `hybrid-eval` section at the end of a run (controller only)."""
    cfg = sess.config
    rows = [*sess.recorded_seen, *sess.rows]
    title = f"hybrid-eval: {cfg.name} ({cfg.backend} backend" + (" — not model quality)" if cfg.backend == "scripted" else ")")
    tr.write_sep("=", title)
    if not rows:
        tr.write_line("no cells ran")
    else:
        for line in summary_lines(rows, sess.pricing, cfg.pricing.primary):
            tr.write_line(line)
        tr.write_line(f"$/cell under pricing scenario {cfg.pricing.primary} (table sha {sess.pricing.sha256[:12]}); "
                      "cloud tok = cloud share of all tokens; errors count as failures")
        kinds = sorted({r.provenance.sandbox_kind for r in rows})
        if any(not r.provenance.sandbox_isolated for r in rows):
            tr.write_line(f"warning: sandbox {', '.join(kinds)} is NOT isolated (install bubblewrap for isolation)",
                          yellow=True)
    resumed = f", {len(sess.recorded_seen)} recorded earlier (resumed; --hybrid-rerun runs them again)" if sess.recorded_seen else ""
    tr.write_line(f"rows:  {sess.writer.path}  ({len(sess.rows)} written this run{resumed})")
    tr.write_line(f"sweep: {sess.out_dir / 'sweep.json'}")
    if report and rows:
        _report(tr, sess)


def _report(tr, sess) -> None:
    from pytest_hybrid_eval.errors import HybridEvalError

    try:
        from pytest_hybrid_eval.analysis import analyze
    except ImportError:
        return
    try:
        out = analyze(sess.out_dir, pricing=sess.config.pricing.table, scenario=sess.config.pricing.primary)
    except HybridEvalError as exc:
        tr.write_line(f"report not written: {exc}", red=True)
        return
    tr.write_line(f"report: {out / 'report.html'}")
