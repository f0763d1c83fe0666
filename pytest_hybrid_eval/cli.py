"""`hybrid-eval`: the commands around a sweep (inspect config, validate tasks, analyze, serve the proxy).

User errors print one line and exit 2; nothing here prints a traceback for bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pytest_hybrid_eval.errors import HybridEvalError

DEFAULT_CONFIG = "bench_suites/configs/smoke.yaml"


def _config(args: argparse.Namespace):
    from pytest_hybrid_eval.config import build_config

    path = args.config or (DEFAULT_CONFIG if Path(DEFAULT_CONFIG).exists() else None)
    return build_config(path, args.set or [])


def cmd_show_config(args: argparse.Namespace) -> int:
    cfg = _config(args)
    print(json.dumps(cfg.model_dump(mode="json"), indent=2, sort_keys=True))
    print(f"sha256: {cfg.sha256()}")
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from pytest_hybrid_eval.config import SweepConfig

    print(json.dumps(SweepConfig.model_json_schema(), indent=2, sort_keys=True))
    return 0


def cmd_env(args: argparse.Namespace) -> int:
    from pytest_hybrid_eval.env import manifest

    print(json.dumps(manifest(_config(args)), indent=2, sort_keys=True))
    return 0


def _tasks(args: argparse.Namespace):
    from pytest_hybrid_eval.tasks.model import discover_tasks
    from pytest_hybrid_eval.tasks.real_prs import materialize_roots

    roots = [Path(r) for r in (args.roots or _config(args).tasks.roots)]
    materialize_roots(roots)
    return discover_tasks(roots)


def cmd_tasks_list(args: argparse.Namespace) -> int:
    tasks = _tasks(args)
    print(f"{'class':<10} {'family':<8} {'id':<28} {'difficulty':<10} {'visible':>7} {'hidden':>6}")
    for t in tasks:
        vis = len(list(t.tests_dir.glob("test_*.py"))) if t.tests_dir.is_dir() else 0
        hid = len(list(t.hidden_dir.glob("test_*.py"))) if t.hidden_dir.is_dir() else 0
        print(f"{t.task_class:<10} {t.family:<8} {t.id:<28} {t.difficulty:<10} {vis:>7} {hid:>6}")
    print(f"{len(tasks)} tasks (visible/hidden = test files)")
    return 0


def cmd_tasks_validate(args: argparse.Namespace) -> int:
    from pytest_hybrid_eval.sandbox.select import make_sandbox
    from pytest_hybrid_eval.tasks.validate import validate_task

    cfg = _config(args)
    tasks = _tasks(args)
    sandbox = make_sandbox(cfg.sandbox, hide=[*(t.root.parent for t in tasks), Path.cwd()])
    bad = 0
    for t in tasks:
        problems = validate_task(t, sandbox)
        status = "ok" if not problems else "FAIL"
        print(f"{status:<4} {t.task_class}/{t.id}")
        for p in problems:
            print(f"     - {p}")
        bad += bool(problems)
    print(f"{len(tasks) - bad}/{len(tasks)} tasks valid (sandbox: {sandbox.kind})")
    return 1 if bad or not tasks else 0


def cmd_tasks_mine(args: argparse.Namespace) -> int:
    from pytest_hybrid_eval.sandbox.select import make_sandbox
    from pytest_hybrid_eval.tasks.mine import Bounds, mine

    sandbox = make_sandbox(_config(args).sandbox, hide=[Path.cwd()])
    bounds = Bounds(max_files=args.max_files, max_lines=args.max_lines, max_test_lines=args.max_test_lines)
    report = mine(args.source, Path(args.out), sandbox, upstream=args.upstream, max_n=args.max, since=args.since,
                  paths=args.paths, bounds=bounds, max_tries=args.max_tries)  # fmt: skip
    print(report.summary())
    return 0 if report.mined else 1


def cmd_analyze(args: argparse.Namespace) -> int:
    from pytest_hybrid_eval.analysis.hybrid_coding_eval_summary import summarize_hybrid_coding_eval
    from pytest_hybrid_eval.analysis.merge import load_sweeps
    from pytest_hybrid_eval.analysis.report import analyze
    from pytest_hybrid_eval.pricing import load_table

    table = load_table(args.table)
    frame = load_sweeps(Path(args.dir))
    out = analyze(Path(args.dir), by=args.by or None, out=args.out, pricing=table, scenario=args.scenario,
                  frame=frame, n_resamples=args.resamples, margin=args.margin, allow_mixed=args.allow_mixed)
    if (frame["source_format"] != "row").any():
        _print_predecessor_summary(summarize_hybrid_coding_eval(frame, table))
    print(f"analysis written to {out} (pricing table {Path(table.path).name}, sha {table.sha256[:12]})")
    for name in sorted(p.name for p in Path(out).iterdir()):
        print(f"  {name}")
    return 0


def _print_predecessor_summary(df) -> None:
    """Per route/agent of hybrid-coding-eval's rows: pass rate and total cloud cost under each scenario."""
    import pandas as pd

    with pd.option_context("display.max_columns", None, "display.width", 200, "display.float_format", "{:.4f}".format):
        print(df.to_string(index=False))


def cmd_reprice(args: argparse.Namespace) -> int:
    args.out = args.out or str(Path(args.dir) / f"analysis-{Path(args.table).stem}")
    return cmd_analyze(args)


def cmd_power(args: argparse.Namespace) -> int:
    from pytest_hybrid_eval.stats import power_tasks

    try:
        n = power_tasks(args.baseline, args.delta, alpha=args.alpha, power=args.power,
                        paired_correlation=args.paired_correlation)
    except ValueError as exc:
        raise HybridEvalError(f"power: {exc}") from None
    print(f"to detect {args.baseline:.0%} -> {args.baseline + args.delta:.0%} at power {args.power:.0%}, "
          f"alpha {args.alpha}: {n} paired (task, seed) cells per strategy")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import signal
    import threading

    from pytest_hybrid_eval.routing.service import start_services

    overrides = list(args.set or [])
    if args.local_url:
        overrides += [f"models.local.base_url={args.local_url}", "backend=live"]
    if args.cloud_url:
        overrides += [f"models.cloud.base_url={args.cloud_url}", "backend=live"]
    args.set = overrides
    cfg = _config(args)
    factory = None
    if cfg.backend == "scripted":
        from pytest_hybrid_eval.scripted import create_scripted_app

        factory = lambda: create_scripted_app(cfg, {})  # noqa: E731
    secret = "" if args.no_secret else None
    services = start_services(cfg, factory, decision_log=args.decision_log, port=args.port, secret=secret)
    print(f"hybrid-eval proxy ({cfg.backend} backends) — point your agent's OpenAI base URL at:")
    print(f"  {services.proxy_url}/{args.strategy}/v1   (suffix a model name with !local or !cloud to force a tier)")
    if args.decision_log:
        print(f"decisions are appended to {args.decision_log}")
    print("answers loopback clients only: JSON bodies, a loopback Host, no foreign Origin (web pages are refused)")
    print("Ctrl-C stops it.", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    services.stop()
    print("proxy stopped", flush=True)
    return 0


def cmd_setup_agents(args: argparse.Namespace) -> int:
    from pytest_hybrid_eval.agents.install import PINNED, agents_dir, install

    names = args.names or list(PINNED)
    for name in names:
        if name not in PINNED:
            raise HybridEvalError(f"unknown agent {name!r} for setup; installable agents: {', '.join(PINNED)}")
    print(f"agents dir: {agents_dir()}")
    for name in names:
        print(f"{name}: {install(name)}", flush=True)
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    from pytest_hybrid_eval.routing.calibrate import calibrate, calibration_lines

    cfg = _config(args)
    result = calibrate(args.strategy, args.target_cloud_share, Path(args.source),
                       params=cfg.routing.params.get(args.strategy))
    print("\n".join(calibration_lines(result)))
    return 0


def cmd_router_eval(args: argparse.Namespace) -> int:
    from pytest_hybrid_eval.routing.calibrate import router_eval_table
    from pytest_hybrid_eval.routing.router_eval import evaluate
    from pytest_hybrid_eval.routing.strategies import strategy_names

    cfg = _config(args)
    names = args.strategies.split(",") if args.strategies else strategy_names()
    rows = evaluate(names, args.prompts, params=cfg.routing.params)
    print("\n".join(router_eval_table(rows)))
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from pytest_hybrid_eval.status import format_status, sweep_status

    for line in format_status(sweep_status(Path(args.dir))):
        print(line)
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="hybrid-eval", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)

    def with_config(sp: argparse.ArgumentParser) -> argparse.ArgumentParser:
        sp.add_argument("--config", help=f"sweep config YAML (default: {DEFAULT_CONFIG} when present)")
        sp.add_argument("--set", "--hybrid-set", action="append", metavar="KEY=VALUE", help="override a config leaf")
        return sp

    with_config(sub.add_parser("show-config", help="print the merged config and its sha256")).set_defaults(fn=cmd_show_config)
    sub.add_parser("schema", help="print the config's JSON schema").set_defaults(fn=cmd_schema)
    with_config(sub.add_parser("env", help="print the hardware/software manifest")).set_defaults(fn=cmd_env)

    tasks = sub.add_parser("tasks", help="list or validate the task suite")
    tsub = tasks.add_subparsers(dest="tcmd", required=True)
    for name, fn, text in (("list", cmd_tasks_list, "print the suite as a table"),
                           ("validate", cmd_tasks_validate, "prove each reference passes and each start fails")):
        sp = with_config(tsub.add_parser(name, help=text))
        sp.add_argument("roots", nargs="*", help="task roots (default: the config's tasks.roots)")
        sp.set_defaults(fn=fn)

    mi = with_config(tsub.add_parser("mine", help="real-prs instances from a repository's history, validated"))
    mi.add_argument("source", help="a local repository, a git bundle or a URL")
    mi.add_argument("--out", required=True, help="output folder (a task root: instances.jsonl, facts.jsonl)")
    mi.add_argument("--max", type=int, default=20, help="stop after this many validated instances")
    mi.add_argument("--since", help="only commits after this date (git's --since)")
    mi.add_argument("--paths", help="only fixes whose non-test Python files match this glob")
    mi.add_argument("--upstream", help="upstream URL to record (default: the source's, when it is a URL)")
    mi.add_argument("--max-files", type=int, default=3, help="at most this many non-test Python files changed")
    mi.add_argument("--max-lines", type=int, default=120, help="at most this many non-test Python lines changed")
    mi.add_argument("--max-test-lines", type=int, default=400, help="at most this many test lines changed")
    mi.add_argument("--max-tries", type=int, help="run at most this many candidates")
    mi.set_defaults(fn=cmd_tasks_mine)

    an = sub.add_parser("analyze", help="aggregate, intervals, comparisons, decision matrix, charts, report")
    an.add_argument("dir", help="a sweep dir (with raw.jsonl), a raw.jsonl, or a folder of sweeps")
    an.add_argument("--by", action="append", help="extra grouping column (repeatable)")
    an.set_defaults(fn=cmd_analyze)
    rp = sub.add_parser("reprice", help="the same analysis under another pricing table, no rerun")
    rp.add_argument("dir", help="a sweep dir (with raw.jsonl), a raw.jsonl, or a folder of sweeps")
    rp.add_argument("--by", action="append", help="extra grouping column (repeatable)")
    rp.set_defaults(fn=cmd_reprice)
    for sp, table_required in ((an, False), (rp, True)):
        sp.add_argument("--table", default="pricing_tables.json", required=table_required,
                        help="pricing table: a file under pricing/ or a path")
        sp.add_argument("--scenario", default="gpt-5.5", help="primary pricing scenario")
        sp.add_argument("--out", help="output directory (default: DIR/analysis)")
        sp.add_argument("--resamples", type=int, default=10_000, help="bootstrap resamples")
        sp.add_argument("--margin", type=float, default=None,
                        help="non-inferiority margin (default: the sweep's analysis.margin, else 0.05)")
        sp.add_argument("--allow-mixed", action="store_true",
                        help="analyse rows of different configs, model sets or pricing tables, split by model")

    setup = sub.add_parser("setup", help="install external agent CLIs (pinned versions, isolated dirs)")
    ssub = setup.add_subparsers(dest="scmd", required=True)
    sa = ssub.add_parser("agents", help="install agents (default: all): aider, mini-swe-agent, cline, opencode")
    sa.add_argument("names", nargs="*")
    sa.set_defaults(fn=cmd_setup_agents)

    from pytest_hybrid_eval.rescore import configure_rejudge_parser, configure_rescore_parser

    configure_rescore_parser(sub.add_parser("rescore", help="score every cell again from its kept evidence (new file)"))
    configure_rejudge_parser(sub.add_parser("rejudge", help="re-run the d4 LLM judge from kept evidence (new file)"))

    cal = with_config(sub.add_parser("calibrate", help="the threshold that hits a target cloud share"))
    cal.add_argument("--strategy", default="heuristic")
    cal.add_argument("--target-cloud-share", type=float, required=True)
    cal.add_argument("source", help="a sweep dir (uses its call records) or labelled prompts (.jsonl)")
    cal.set_defaults(fn=cmd_calibrate)

    rev = with_config(sub.add_parser("router-eval", help="accuracy, cloud share, decide latency per strategy"))
    rev.add_argument("--strategies", help="comma-separated (default: all)")
    rev.add_argument("--prompts", help="labelled prompts JSONL (default: router/eval_prompts.jsonl)")
    rev.set_defaults(fn=cmd_router_eval)

    st = sub.add_parser("status", help="cells done/expected, outcomes, cloud $ so far, elapsed and ETA")
    st.add_argument("dir", help="the sweep's output directory")
    st.set_defaults(fn=cmd_status)

    pw = sub.add_parser("power", help="how many paired cells detect a pass-rate difference")
    pw.add_argument("--baseline", type=float, required=True)
    pw.add_argument("--delta", type=float, required=True)
    pw.add_argument("--alpha", type=float, default=0.05)
    pw.add_argument("--power", type=float, default=0.8)
    pw.add_argument("--paired-correlation", type=float, default=0.0)
    pw.set_defaults(fn=cmd_power)

    sv = with_config(sub.add_parser("serve", help="run the routing proxy standalone (Ctrl-C stops it)"))
    sv.add_argument("--strategy", default="always-local")
    sv.add_argument("--local-url", help="OpenAI-compatible base URL of the local model (switches to live)")
    sv.add_argument("--cloud-url", help="OpenAI-compatible base URL of the cloud model (switches to live)")
    sv.add_argument("--port", type=int, default=8787, help="loopback port (0 = any free port)")
    sv.add_argument("--no-secret", action="store_true",
                    help="serve without the secret path prefix (single-user machine, loopback only)")
    sv.add_argument("--decision-log", help="append one JSON decision record per call to this file")
    sv.set_defaults(fn=cmd_serve)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.fn(args)
    except HybridEvalError as exc:
        print(f"hybrid-eval: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
