"""Command-line options and their ini twins, and how they map onto SweepConfig keys."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest


@dataclass(frozen=True)
class Opt:
    flag: str
    help: str
    key: str | None  # SweepConfig dotted key the value is written to (None: handled specially)
    kind: str = "str"  # str | csv | ints


RETRY_CHOICES = ("infra", "all", "none")

OPTIONS = [
    Opt("config", "sweep config YAML (default: ini hybrid_config, else built-in defaults)", None),
    Opt("agents", "comma-separated agents, e.g. builtin,aider", "agents", "csv"),
    Opt("strategies", "comma-separated routing strategies, e.g. always-cloud,cascade", "strategies", "csv"),
    Opt("seeds", "comma-separated seeds, e.g. 42,7,13", "seeds", "ints"),
    Opt("model", "the local model under test (models.local.name)", "models.local.name"),
    Opt("cloud-model", "the cloud model (models.cloud.name)", "models.cloud.name"),
    Opt("backend", "scripted (offline default) or live (the configured model servers)", "backend"),
    Opt("out", "output directory of the sweep (raw.jsonl, sweep.json, analysis/)", "out_dir"),
    Opt("sandbox", "auto | bwrap | docker | process", "sandbox.kind"),
    Opt("record", "store every upstream exchange under DIR (for a zero-cost byte-exact replay)", "routing.record_dir"),
    Opt("replay", "answer every call from a recorded DIR, with no backend at all; a miss fails loudly",
        "routing.replay_dir"),
    Opt("max-cloud-usd", "spending cap: cloud calls are refused once the sweep has spent this much", "budget.max_cloud_usd",
        "float"),
]


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("hybrid-eval", "hybrid-eval benchmark sweep")
    for opt in OPTIONS:
        group.addoption(f"--hybrid-{opt.flag}", dest=f"hybrid_{opt.flag.replace('-', '_')}", default=None,
                        metavar="VALUE", help=f"{opt.help} [ini: hybrid_{opt.flag.replace('-', '_')}]")
        parser.addini(f"hybrid_{opt.flag.replace('-', '_')}", opt.help, default=None)
    group.addoption("--hybrid-set", dest="hybrid_set", action="append", default=[], metavar="KEY=VALUE",
                    help="override any config leaf, e.g. models.local.name=qwen3.6 or seeds=[1,2] (repeatable)")
    parser.addini("hybrid_set", "config overrides applied before --hybrid-set flags", type="linelist", default=[])
    group.addoption("--hybrid-no-report", dest="hybrid_no_report", action="store_true", default=False,
                    help="do not run the analysis/report at the end of the sweep")
    group.addoption("--hybrid-keep-errors", dest="hybrid_keep_errors", action="store_true", default=False,
                    help="on resume, keep every cell whose recorded row is an error (= --hybrid-retry-errors=none)")
    group.addoption("--hybrid-retry-errors", dest="hybrid_retry_errors", default=None, choices=RETRY_CHOICES,
                    help="which recorded error rows a resume runs again: infra (default: infrastructure errors "
                         "only; agent errors and timeouts are outcomes), all, none [ini: hybrid_retry_errors]")
    parser.addini("hybrid_retry_errors", "which recorded error rows a resume runs again: infra | all | none",
                  default=None)
    group.addoption("--hybrid-rerun", dest="hybrid_rerun", action="store_true", default=False,
                    help="run every selected cell again even if the out dir holds a finished row for it")


def retry_errors(config: pytest.Config) -> str:
    """The resume policy for recorded error rows; ``--hybrid-keep-errors`` is ``none`` under another name."""
    flag = config.getoption("hybrid_retry_errors")
    ini = config.getini("hybrid_retry_errors")
    if not flag and ini and ini not in RETRY_CHOICES:
        raise pytest.UsageError(f"hybrid_retry_errors = {ini!r}: expected one of {', '.join(RETRY_CHOICES)}")
    policy = flag or ini or "infra"
    if config.getoption("hybrid_keep_errors"):
        if flag and flag != "none":
            raise pytest.UsageError(f"--hybrid-keep-errors keeps every error row but --hybrid-retry-errors={flag} "
                                    "retries some; pass one of them")
        policy = "none"
    return policy


def _convert(opt: Opt, raw: str) -> Any:
    if opt.kind == "csv":
        return [x.strip() for x in str(raw).split(",") if x.strip()]
    if opt.kind == "float":
        try:
            return float(raw)
        except ValueError:
            raise pytest.UsageError(f"--hybrid-{opt.flag} {raw!r}: expected a number, e.g. 5.0") from None
    if opt.kind == "ints":
        try:
            return [int(x) for x in str(raw).split(",") if x.strip()]
        except ValueError:
            raise pytest.UsageError(f"--hybrid-{opt.flag} {raw!r}: expected comma-separated integers, e.g. 42,7") from None
    return raw


def read_options(config: pytest.Config) -> tuple[str | None, dict[str, Any], list[str]]:
    """Return (config path, dotted-key flag values, overrides); flags beat ini values."""
    values: dict[str, Any] = {}
    path = None
    for opt in OPTIONS:
        name = f"hybrid_{opt.flag.replace('-', '_')}"
        raw = config.getoption(name) or config.getini(name)
        if not raw:
            continue
        if opt.key is None:
            path = str(raw)
        else:
            values[opt.key] = _convert(opt, raw)
    overrides = list(config.getini("hybrid_set")) + list(config.getoption("hybrid_set") or [])
    return path, values, overrides
