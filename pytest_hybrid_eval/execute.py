"""Run one cell end to end — workspace, agent, scoring, usage — and always return exactly one Row.

Everything that can go wrong inside a cell becomes a classified row (never a lost cell): the agent's own
failures, a backend that kept failing, a scorer that could not run, and bugs of ours (``infra_error``).
"""

from __future__ import annotations

import shutil
import tempfile
import time
import traceback
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pytest_hybrid_eval.agents.base import AgentContext, AgentResult
from pytest_hybrid_eval.agents.registry import get_agent
from pytest_hybrid_eval.cells import Cell
from pytest_hybrid_eval.config import SweepConfig
from pytest_hybrid_eval.results import Provenance, Row, RowCalls, RowTokens
from pytest_hybrid_eval.routing.routes import cell_url
from pytest_hybrid_eval.routing.service import calls_after, fetch_usage
from pytest_hybrid_eval.sandbox.base import Sandbox
from pytest_hybrid_eval.sandbox.select import limits_from_config
from pytest_hybrid_eval.scoring.registry import cell_context, score, scorer_name
from pytest_hybrid_eval.scoring.review import JudgeScorer
from pytest_hybrid_eval.store.evidence import keep_evidence
from pytest_hybrid_eval.store.layout import SweepDir
from pytest_hybrid_eval.tasks.model import Task
from pytest_hybrid_eval.usage import CallRecord, CellUsage, TokenCounts
from pytest_hybrid_eval.workspace import collect_edits, prepare_workspace


@dataclass
class CellRuntime:
    """What every cell of a sweep shares; built once per process (controller or worker)."""

    config: SweepConfig
    proxy_url: str
    sandbox: Sandbox
    provenance: Provenance
    sweep_dir: SweepDir | None = None  # where evidence is kept; None keeps none

    @property
    def sweep_id(self) -> str:
        """``<out dir name>@<config sha, 12 hex>``: two sweeps that share a config name never share an id."""
        folder = self.sweep_dir.name if self.sweep_dir is not None else self.config.name
        return f"{folder}@{self.config.sha256()[:12]}"

    def base_url(self, cell: Cell) -> str:
        """The OpenAI base URL the cell's agent is given."""
        return cell_url(self.proxy_url, cell.id, cell.strategy)


def _now() -> datetime:
    return datetime.now(UTC)


def run_cell(cell: Cell, task: Task, rt: CellRuntime) -> Row:
    started = _now()
    t0 = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="hev-"))
    try:
        return _run(cell, task, rt, tmp, started, t0)
    except Exception as exc:  # a bug of ours or a broken machine: still one classified row
        tb = traceback.format_exception_only(type(exc), exc)[-1].strip()
        return _row(cell, task, rt, started, t0, passed=False, error="infra_error", reason=tb[:500])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _run(cell: Cell, task: Task, rt: CellRuntime, tmp: Path, started: datetime, t0: float) -> Row:
    cfg = rt.config
    agent = get_agent(cell.agent)
    version = agent.version()
    if version is None:
        return _row(cell, task, rt, started, t0, passed=False, error="not_installed",
                    reason=f"agent {cell.agent!r} is not installed; install it with: {agent.install_hint()}")
    workspace, home = tmp / "workspace", tmp / "home"
    home.mkdir()
    prepare_workspace(task, workspace)
    ctx = AgentContext(
        cell=cell, task=task, workspace=workspace, base_url=rt.base_url(cell),
        model=f"hybrid/{cell.strategy}", timeout_s=cfg.timeouts.agent_s or task.agent_timeout_s,
        max_turns=cfg.agent.max_turns, sandbox=rt.sandbox, home=home,
        test_timeout_s=cfg.timeouts.test_s or task.test_timeout_s,
        caps=limits_from_config(cfg.sandbox, wall_s=cfg.timeouts.agent_s or task.agent_timeout_s),
    )
    ta = time.perf_counter()
    result = agent.run(ctx)
    agent_ms = (time.perf_counter() - ta) * 1000
    edits = collect_edits(task, workspace)
    _keep_evidence(rt, cell, edits, result)
    usage = fetch_usage(rt.proxy_url, cell.id)  # the agent's routed calls, before a judge adds its own
    ts = time.perf_counter()
    sctx = cell_context(cfg, task, rt.sandbox, proxy_url=rt.proxy_url, cell_id=cell.id)
    sc = score(task, edits, sctx, cfg.scoring.review_scorer)
    score_ms = (time.perf_counter() - ts) * 1000
    scoring_calls = calls_after(rt.proxy_url, cell.id, usage) if sc.scorer == JudgeScorer.name else []

    error, reason = "none", sc.reason
    refused = [c for c in usage.calls if c.error == "budget_exhausted"]
    if refused:
        # the proxy refused cloud calls past budget.max_cloud_usd: the cell did not get a fair run
        error, reason = "budget_exhausted", f"{len(refused)} cloud call(s) refused: the sweep's cloud budget is spent"
    elif result.status != "ok":
        error, reason = result.status, result.reason
        if result.status == "agent_error" and usage.failed_calls and usage.failed_calls == len(usage.calls):
            error = "backend_error"
    elif sc.error:
        error, reason = sc.error, sc.reason
    passed = sc.passed and error == "none"
    return _row(cell, task, rt, started, t0, passed=passed, error=error, reason=reason,
                tests=(sc.tests_passed, sc.tests_total), usage=usage, agent=(result, version),
                agent_ms=agent_ms, score_ms=score_ms, scorer=sc.scorer, scoring_calls=scoring_calls)


def _keep_evidence(rt: CellRuntime, cell: Cell, edits: dict[str, str | None], result: AgentResult) -> None:
    """The agent's final files and log tails, so a cell can be re-scored later without re-running it."""
    if rt.sweep_dir is None:
        return
    keep_evidence(rt.sweep_dir, cell.id, edits,
                  f"status: {result.status}\nreason: {result.reason}\nturns: {result.turns}\nextra: {result.extra}\n"
                  f"--- stdout (tail) ---\n{result.stdout_tail}\n--- stderr (tail) ---\n{result.stderr_tail}\n")


def _row(cell: Cell, task: Task, rt: CellRuntime, started: datetime, t0: float, *, passed: bool, error: str,
         reason: str | None, tests: tuple[int, int] = (0, 0), usage: CellUsage | None = None,
         agent: tuple[AgentResult, str] | None = None, agent_ms: float = 0.0, score_ms: float = 0.0,
         scorer: str | None = None, scoring_calls: list[CallRecord] | None = None) -> Row:
    usage = usage or _usage_or_empty(rt, cell)
    prov = rt.provenance.model_copy(update={"agent_version": agent[1] if agent else ""})
    return Row(
        sweep=rt.sweep_id, cell_id=cell.id, task_id=task.id, task_class=task.task_class, family=task.family,
        difficulty=task.difficulty, agent=cell.agent, strategy=cell.strategy, seed=cell.seed, passed=passed,
        tests_passed=tests[0], tests_total=tests[1], error=error, reason=reason,
        scorer=scorer or scorer_name(task, rt.config.scoring.review_scorer),
        tokens=RowTokens(local=usage.local, cloud=usage.cloud, aux=usage.aux, scoring=TokenCounts.sum_of(c.usage for c in scoring_calls or [])),
        calls=RowCalls(local=usage.local_calls, cloud=usage.cloud_calls, aux=usage.aux_calls,
                       failed=usage.failed_calls, records=usage.calls, scoring=len(scoring_calls or []),
                       scoring_records=scoring_calls or []),
        wall_ms=(time.perf_counter() - t0) * 1000, agent_ms=agent_ms, score_ms=score_ms,
        agent_turns=agent[0].turns if agent else 0, agent_extra=dict(agent[0].extra) if agent else {},
        provenance=prov, started_at=started, finished_at=_now(),
    )


def _usage_or_empty(rt: CellRuntime, cell: Cell) -> CellUsage:
    try:
        return fetch_usage(rt.proxy_url, cell.id)
    except Exception:
        return CellUsage(cell_id=cell.id)
