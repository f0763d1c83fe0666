"""The terminal summary: one line per (class, agent, strategy) group with a task-clustered interval.

The interval is the one the decision matrix and report use (``analysis.intervals.pass_rate_interval``):
a bootstrap over tasks (seeds nested in their task) measures the design effect, and a Wilson interval on
the effective n with a t quantile, never narrower than Clopper-Pearson on the effective counts, keeps 95%
coverage with 5 tasks and near 0 and 1, and stays open at 0/n and n/n (measured by
``benchmarks/interval_coverage.py``; the Clopper-Pearson floor closes Wilson's dip just below 1). Nine tasks × three seeds are not 27 independent cells. Cloud share
and cost come from the analysis' own aggregate, so the summary and the report cannot disagree.
"""

from __future__ import annotations

from collections.abc import Iterable

from pytest_hybrid_eval.analysis.aggregate import aggregate
from pytest_hybrid_eval.analysis.frame import add_costs, rows_frame
from pytest_hybrid_eval.analysis.intervals import pass_rate_interval
from pytest_hybrid_eval.pricing import PricingTable
from pytest_hybrid_eval.results import Row

KEYS = ["task_class", "agent", "strategy"]
CI_HEADER = "95% CI, task bootstrap"
CI_NOTE = (
    "95% CI: task-clustered bootstrap (tasks resampled, seeds nested) sets the effective n; Wilson interval on "
    "it with a t(tasks-1) quantile, never narrower than Clopper-Pearson on the effective counts, so 0/n and "
    "n/n stay open"
)


def summary_lines(rows: Iterable[Row], pricing: PricingTable, scenario: str, n_resamples: int = 2_000) -> list[str]:
    df = rows_frame(list(rows))
    if df.empty:
        return []
    df = add_costs(df, pricing, [scenario], scenario)
    agg = aggregate(df, KEYS)
    work = df.assign(_pass=(df["passed"] & df["graded"]).astype(float))
    header = (
        f"{'class':<10} {'agent':<10} {'strategy':<15} {'tasks':>5} {'n':>4} {'pass':>5} {'rate':>5} "
        f"{CI_HEADER:>22} {'err':>4} {'cloud tok':>9} {'$/cell':>9}"
    )
    lines = [header, "-" * len(header)]
    groups = dict(iter(work.groupby(KEYS, sort=True)))
    for _, r in agg.iterrows():
        key = (r["task_class"], r["agent"], r["strategy"])
        iv = pass_rate_interval(groups[key], ("pass", *key), n_resamples)
        ci = f"[{iv['lo']:.0%}, {iv['hi']:.0%}]"
        share = f"{r['cloud_share']:.0%}" if r["all_tokens"] else "-"
        lines.append(
            f"{key[0]:<10} {key[1]:<10} {key[2]:<15} {int(r['n_tasks']):>5} {int(r['graded']):>4} "
            f"{int(r['passed']):>5} {r['pass_rate']:>5.0%} {ci:>22} {int(r['errors']):>4} {share:>9} "
            f"{r['cost_mean']:>9.4f}"
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
        tr.write_line(CI_NOTE)
        tr.write_line(f"$/cell under pricing scenario {cfg.pricing.primary} (table sha {sess.pricing.sha256[:12]}); "
                      "cloud tok = cloud share of routed tokens (as in the report); errors count as failures")
        kinds = sorted({r.provenance.sandbox_kind for r in rows})
        if any(not r.provenance.sandbox_isolated for r in rows):
            tr.write_line(f"warning: sandbox {', '.join(kinds)} is NOT isolated (install bubblewrap for isolation)",
                          yellow=True)
    resumed = f", {len(sess.recorded_seen)} recorded earlier (resumed; --hybrid-rerun runs them again)" if sess.recorded_seen else ""
    tr.write_line(f"rows:  {sess.writer.path}  ({len(sess.rows)} written this run{resumed})")
    tr.write_line(f"sweep: {sess.sweep_dir.sweep_json}")
    if report and rows:
        _report(tr, sess)


def _report(tr, sess) -> None:
    from pytest_hybrid_eval.errors import HybridEvalError

    try:
        from pytest_hybrid_eval.analysis import analyze
    except ImportError:
        return
    try:
        out = analyze(sess.out_dir, pricing=sess.config.pricing.table, scenario=sess.config.pricing.primary,
                      margin=sess.config.analysis.margin)
    except HybridEvalError as exc:
        tr.write_line(f"report not written: {exc}", red=True)
        return
    tr.write_line(f"report: {out / 'report.html'}")
