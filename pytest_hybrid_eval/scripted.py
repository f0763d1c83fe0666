"""The scripted backend as a sweep runs it: the simulator, wired to the agents' dialects and the review judge.

The simulator (``simulator/``) knows models only. This module is where it meets the two things above it:
each agent's dialect, found through the agent registry, and the review judge, whose prompt format
(``judge``) and truth (the task's rubric, ``rubric``) are scoring's. Sweeps, ``hybrid-eval serve``,
re-judging and tests build the app through `create_scripted_app`, so every scripted server answers alike.
"""

from __future__ import annotations

import json

from aiohttp import web

from pytest_hybrid_eval.agents.registry import agent_dialect
from pytest_hybrid_eval.config import SweepConfig
from pytest_hybrid_eval.errors import TaskError
from pytest_hybrid_eval.judge import JUDGE_MARKER, split_user_message
from pytest_hybrid_eval.rubric import Finding, Penalty, normalise, task_rubric
from pytest_hybrid_eval.simulator.app import create_app
from pytest_hybrid_eval.simulator.judging import ItemReading, JudgeRequest
from pytest_hybrid_eval.tasks.model import Task

__all__ = ["RubricJudge", "create_scripted_app"]

_EVIDENCE_CONTEXT = 60  # characters of the review either side of the first matching phrase
_EVIDENCE_MAX = 200


class RubricJudge:
    """The review judge played by the rubric: an item is present when the task's own rubric rule matches.

    So the scripted judge agrees with the deterministic rubric scorer, apart from the errors the simulator
    adds. Items the rubric does not know, tasks not scored by a rubric and requests without a task are
    judged not present.
    """

    def read(self, system: str, user: str, flagged: bool) -> JudgeRequest | None:
        """A judge call is recognised by the flag (direct calls) or by the judge prompt's fixed phrase
        (the proxy forwards bodies, not client headers), and read from the prompt as a model would."""
        if not flagged and JUDGE_MARKER not in system:
            return None
        parsed = split_user_message(user)
        if parsed is None:
            return JudgeRequest(names=(), review="")
        items, review = parsed
        return JudgeRequest(names=tuple(name for _kind, name in items), review=review)

    def truth(self, task: Task | None, request: JudgeRequest) -> list[ItemReading]:
        rules: dict[str, Finding | Penalty] = {}
        if task is not None and task.scorer == "rubric":
            try:
                rubric = task_rubric(task)
                rules = {r.name: r for r in [*rubric.findings, *rubric.penalties]}
            except TaskError:
                rules = {}
        body = normalise(request.review)
        readings = []
        for name in request.names:
            rule = rules.get(name)
            if rule is None:
                readings.append(ItemReading(name, present=False, evidence=""))
                continue
            evidence = ""
            hit = rule._compiled[0].search(body)  # the first pattern group: the phrase a judge would quote
            if hit:
                start = max(0, hit.start() - _EVIDENCE_CONTEXT)
                evidence = body[start: hit.end() + _EVIDENCE_CONTEXT].strip()[:_EVIDENCE_MAX]
            readings.append(ItemReading(name, present=bool(body) and rule.matches(body), evidence=evidence))
        return readings

    def answer(self, readings: list[ItemReading]) -> str:
        """A fenced JSON object of verdicts, the form ``judge.parse_answer`` reads."""
        verdicts = [{"item": r.name, "present": r.present, "evidence": r.evidence} for r in readings]
        return "```json\n" + json.dumps({"verdicts": verdicts}, indent=1) + "\n```"


def create_scripted_app(config: SweepConfig, tasks: dict[str, Task]) -> web.Application:
    """The scripted backend for ``tasks``, speaking each agent's dialect and playing the review judge."""
    return create_app(config, tasks, dialects=agent_dialect, judge=RubricJudge())
