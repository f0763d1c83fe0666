"""One dispatch from a task to its scorer, used by a cell, by ``rescore`` and by ``rejudge``.

A task says how it is scored in ``task.yaml`` (``scorer:``); ``auto`` means ``cases`` when the task has a
``hidden/cases.py`` (values compared outside the candidate's process) and ``pytest`` otherwise. A review
task (``rubric``) is scored by the LLM judge instead when the sweep's ``scoring.review_scorer`` says so.
"""

from __future__ import annotations

from pytest_hybrid_eval.config import SweepConfig
from pytest_hybrid_eval.errors import ConfigError
from pytest_hybrid_eval.sandbox.base import Sandbox
from pytest_hybrid_eval.sandbox.select import limits_from_config
from pytest_hybrid_eval.scoring.base import ScoreContext, Scorer, ScoreResult
from pytest_hybrid_eval.scoring.cases import CasesScorer, has_cases
from pytest_hybrid_eval.scoring.pytest_scorer import PytestScorer
from pytest_hybrid_eval.scoring.review import JudgeScorer, RubricScorer
from pytest_hybrid_eval.tasks.model import Task

SCORERS: dict[str, Scorer] = {s.name: s for s in (CasesScorer(), PytestScorer(), RubricScorer(), JudgeScorer())}


def scorer_name(task: Task, review_scorer: str = "rubric") -> str:
    """The name of the scorer that judges ``task`` (what ``Row.scorer`` records)."""
    kind = task.scorer
    if kind == "auto":
        kind = CasesScorer.name if has_cases(task) else PytestScorer.name
    if kind == RubricScorer.name and review_scorer == JudgeScorer.name:
        return JudgeScorer.name
    return kind


def get_scorer(name: str) -> Scorer:
    try:
        return SCORERS[name]
    except KeyError:
        raise ConfigError(f"unknown scorer {name!r}; valid scorers: {', '.join(sorted(SCORERS))}") from None


def cell_context(config: SweepConfig, task: Task, sandbox: Sandbox | None, *, proxy_url: str | None = None,
                 cell_id: str | None = None) -> ScoreContext:
    """How a sweep scores one cell of ``task``: its test timeout and the sandbox limits the config sets
    (the same for a cell, ``rescore`` and ``rejudge``)."""
    test_s = config.timeouts.test_s or task.test_timeout_s
    return ScoreContext(sandbox=sandbox, timeout_s=test_s, limits=limits_from_config(config.sandbox, wall_s=test_s),
                        proxy_url=proxy_url, cell_id=cell_id)


def score(task: Task, files: dict[str, str | None], ctx: ScoreContext, review_scorer: str = "rubric") -> ScoreResult:
    """Judge ``files`` with the task's scorer."""
    return get_scorer(scorer_name(task, review_scorer)).score(task, files, ctx)
