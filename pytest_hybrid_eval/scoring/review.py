"""The review scorers behind the ``Scorer`` protocol: the rubric (text matching) and the LLM judge.

Nothing of the candidate runs for a review: the written review is read as text. The rubric matches it
against the task's weighted findings; the judge asks the cloud tier through the routing proxy, so it needs
the proxy URL and the cell id from the context.
"""

from __future__ import annotations

from typing import ClassVar

from pytest_hybrid_eval.judge import SCORER_NAME as JUDGE_NAME
from pytest_hybrid_eval.judge import score_with_judge
from pytest_hybrid_eval.rubric import score_task
from pytest_hybrid_eval.scoring.base import ScoreContext, ScoreResult
from pytest_hybrid_eval.tasks.model import Task


class RubricScorer:
    name: ClassVar[str] = "rubric"

    def score(self, task: Task, files: dict[str, str | None], ctx: ScoreContext) -> ScoreResult:
        return score_task(task, files, ctx.sandbox_kind)


class JudgeScorer:
    name: ClassVar[str] = JUDGE_NAME

    def score(self, task: Task, files: dict[str, str | None], ctx: ScoreContext) -> ScoreResult:
        if ctx.proxy_url is None or ctx.cell_id is None:
            return ScoreResult(False, 0, 0, "score_error", "the LLM judge needs the routing proxy and the cell id",
                               0.0, ctx.sandbox_kind, scorer=self.name)  # fmt: skip
        return score_with_judge(task, files, ctx.proxy_url, ctx.cell_id, sandbox_kind=ctx.sandbox_kind)
