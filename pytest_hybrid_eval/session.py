"""The state of one pytest run that benchmarks: config, tasks, services, the row writer, the rows.

The controller (the only process under `-n 0`, the xdist master otherwise) owns the proxy, the scripted
backend and raw.jsonl; workers only build what they need to run cells and hand rows back in reports.
"""

from __future__ import annotations

import sys
import warnings
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

from pytest_hybrid_eval import __version__
from pytest_hybrid_eval.agents.registry import agent_names
from pytest_hybrid_eval.config import SweepConfig
from pytest_hybrid_eval.datafiles import data_dir, sha256_file
from pytest_hybrid_eval.env import git_sha, hardware_ref, manifest
from pytest_hybrid_eval.errors import ConfigError, HybridEvalError
from pytest_hybrid_eval.execute import CellRuntime
from pytest_hybrid_eval.pricing import load_table
from pytest_hybrid_eval.results import Provenance, RetryErrors, Row
from pytest_hybrid_eval.routing.strategies import strategy_names
from pytest_hybrid_eval.sandbox.base import Sandbox
from pytest_hybrid_eval.store.layout import SweepDir
from pytest_hybrid_eval.store.lock import OutDirLock
from pytest_hybrid_eval.store.record import SweepRecord, recorded_config_sha, write_record
from pytest_hybrid_eval.store.rows import RowWriter, finished_cells, read_all_rows
from pytest_hybrid_eval.tasks.model import Task, discover_tasks


class SweepSession:
    def __init__(self, config: SweepConfig, rootdir: Path, is_controller: bool, roots: list[Path] | None = None) -> None:
        self.config = config
        self.rootdir = rootdir
        self.is_controller = is_controller
        self.out_dir = config.resolved_out_dir(rootdir)
        self.sweep_dir = SweepDir(self.out_dir)
        # the config's tasks.roots plus any root a plugin contributed (pytest_hybrid_task_roots)
        self.roots = roots if roots is not None else [
            (Path(r) if Path(r).is_absolute() else rootdir / r).resolve() for r in config.tasks.roots
        ]
        self.rows: list[Row] = []
        self.recorded: dict[str, Row] = {}
        self.recorded_seen: list[Row] = []
        self.services = None
        self.proxy_url: str | None = None
        self.writer: RowWriter | None = None
        self.lock = OutDirLock(self.out_dir)
        self.spent_before_usd = 0.0
        self.sweep_started = datetime.now(UTC)
        self._check_names()
        self.pricing = load_table(config.pricing.table)
        for scenario in {config.pricing.primary, *config.pricing.scenarios}:
            self.pricing.resolve(scenario)

    def _check_names(self) -> None:
        valid_agents, valid_strategies = agent_names(), strategy_names()
        for a in self.config.agents:
            if a not in valid_agents:
                raise ConfigError(f"unknown agent {a!r}; valid agents: {', '.join(valid_agents)}")
        for s in self.config.strategies:
            if s not in valid_strategies:
                raise ConfigError(f"unknown strategy {s!r}; valid strategies: {', '.join(valid_strategies)}")

    def load_recorded(self, enabled: bool, retry_errors: RetryErrors = "infra") -> None:
        """Resume index: cells of this sweep whose recorded row a resume keeps are not run again.

        Only rows of the same config sha count (a different sha is refused at start, see _write_sweep_json).
        A bad line in raw.jsonl is the reader's one-line ResultsError, as in ``status`` and ``analyze``.
        """
        if not enabled:
            return
        sha = self.config.sha256()
        self.recorded = {cid: r for cid, r in finished_cells(self.out_dir, retry_errors).items()
                         if r.provenance.config_sha == sha}

    def claim_out_dir(self, check_budget: bool = True) -> None:
        """Controller only, before reading or writing rows: take the out dir's lock, carry its spend.

        The cloud cap is per sweep, so the spend every row in the out dir already recorded (error rows and
        superseded retries too: that money is gone) counts against it; a sweep already at its cap is
        refused here rather than writing a budget_exhausted row and stopping.
        """
        from pytest_hybrid_eval.routing.budget import recorded_spend

        self.lock.acquire()
        recorded = read_all_rows(self.sweep_dir)
        rows = recorded.rows if recorded else []
        self.spent_before_usd = recorded_spend(rows, self.pricing, self.config.pricing.primary)
        cap = self.config.budget.max_cloud_usd
        if check_budget and cap is not None and self.spent_before_usd >= cap:
            raise HybridEvalError(
                f"{self.out_dir}: this sweep has already spent ${self.spent_before_usd:.4f} of its "
                f"${cap:.4f} cloud cap (budget.max_cloud_usd); raise the cap (--hybrid-max-cloud-usd) to "
                "continue it, or pass --hybrid-out DIR for a new sweep"
            )

    @cached_property
    def git_sha(self) -> str:
        """One `git rev-parse` per process: sweep.json and every row's provenance share it."""
        return git_sha(self.rootdir)

    # -- tasks ----------------------------------------------------------------------------------------------
    @cached_property
    def tasks(self) -> dict[str, Task]:
        from pytest_hybrid_eval.tasks.real_prs import materialize_roots

        materialize_roots(self.roots)  # real-prs task folders are generated from instances.jsonl + mirrors
        return {t.id: t for t in discover_tasks(self.roots)}

    def selected(self, task: Task) -> bool:
        sel = self.config.tasks
        return (
            (not sel.classes or task.task_class in sel.classes)
            and (not sel.families or task.family in sel.families)
            and (not sel.ids or task.id in sel.ids)
        )

    def owns(self, path: Path) -> bool:
        """A task.yaml under one of the configured task roots is a cell file of this sweep."""
        path = path.resolve()
        return any(path.is_relative_to(r) for r in self.roots)

    # -- controller services ------------------------------------------------------------------------------
    def start(self) -> None:
        from pytest_hybrid_eval.routing.service import start_services

        factory = None
        if self.config.backend == "scripted":
            from pytest_hybrid_eval.scripted import create_scripted_app

            tasks = self.tasks
            factory = lambda: create_scripted_app(self.config, tasks)  # noqa: E731
        self.services = start_services(self.config, factory)
        self.services.budget.start_from(self.spent_before_usd)  # no cell has run yet
        self.proxy_url = self.services.proxy_url
        self._write_sweep_json()
        self.writer = RowWriter(self.sweep_dir.raw)

    def stop(self) -> None:
        if self.services is not None:
            self.services.stop()
            self.services = None
        self.lock.release()

    def _write_sweep_json(self) -> None:
        sha = self.config.sha256()
        if self.sweep_dir.raw.exists():
            old = recorded_config_sha(self.sweep_dir)
            if old and old != sha:
                raise HybridEvalError(
                    f"{self.out_dir} holds a sweep with config sha {old[:12]}, this run has {sha[:12]}; "
                    "pass --hybrid-out DIR (or --hybrid-set name=NEW) to start a fresh sweep directory"
                )
        write_record(self.sweep_dir, SweepRecord(
            config_sha=sha,
            config=self.config,
            pricing_table=Path(self.pricing.path).name,
            pricing_sha=self.pricing.sha256,
            package_version=__version__,
            git_sha=self.git_sha,
            started_at=self.sweep_started,
            argv=sys.argv,
            tasks=sorted(t for t, task in self.tasks.items() if self.selected(task)),
            manifest=manifest(self.config, probe_backends=False),
        ))

    def budget_state(self) -> dict | None:
        """The controller's live cloud spend when a cap is configured (None otherwise)."""
        if self.services is None or self.config.budget.max_cloud_usd is None:
            return None
        return self.services.budget.snapshot()

    def write_row(self, row: Row) -> None:
        assert self.writer is not None, "only the controller writes rows"
        self.writer.append(row)
        self.rows.append(row)

    # -- per-process runtime for cells ---------------------------------------------------------------------
    @cached_property
    def sandbox(self) -> Sandbox:
        """The configured sandbox; an explicit kind that does not work here is a HybridEvalError.

        The controller builds it before starting services, so a bad ``sandbox.kind`` stops the run with
        one line instead of failing every cell with a traceback and no row.
        """
        from pytest_hybrid_eval.agents.install import agents_dir
        from pytest_hybrid_eval.sandbox.select import make_sandbox

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            # cells never see the references, other cells' evidence and rows, or the repository
            hide = [*self.roots, self.out_dir, self.rootdir]
            sandbox = make_sandbox(self.config.sandbox, hide=hide, expose=[agents_dir()])
        self.sandbox_warnings = [str(w.message) for w in caught]
        return sandbox

    @cached_property
    def runtime(self) -> CellRuntime:
        from pytest_hybrid_eval.routing.recorder import provenance_backend

        if not self.proxy_url:
            raise HybridEvalError(
                "the routing proxy is not running in this process; run pytest on the task roots"
            )
        sandbox = self.sandbox
        cfg = self.config
        backend = provenance_backend(cfg)  # "replay" when answering from a recording
        backend_kind = lambda m: backend if backend != "live" else m.backend  # noqa: E731
        router_sha = ""
        try:
            router_sha = sha256_file(data_dir("router") / "VERSION")
        except (FileNotFoundError, OSError):
            router_sha = ""
        prov = Provenance(
            config_sha=cfg.sha256(),
            pricing_sha=self.pricing.sha256,
            router_data_sha=router_sha,
            backend=backend,
            local_model=cfg.models.local.name,
            cloud_model=cfg.models.cloud.name,
            local_backend=backend_kind(cfg.models.local),
            cloud_backend=backend_kind(cfg.models.cloud),
            sandbox_kind=sandbox.kind,
            sandbox_isolated=sandbox.isolated,
            package_version=__version__,
            git_sha=self.git_sha,
            hardware_ref=hardware_ref(),
            python=sys.version.split()[0],
        )
        return CellRuntime(
            config=cfg,
            proxy_url=self.proxy_url,
            sandbox=sandbox,
            provenance=prov,
            sweep_dir=self.sweep_dir,
        )
