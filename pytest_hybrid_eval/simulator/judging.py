"""The simulator playing the review judge: the judge's format and the truth come from outside, its errors from here.

The judge's prompt and the task's rubric belong to scoring, which sits above the simulator (scoring calls a
model; the model must not know how it is scored). So whoever builds the app hands the simulator a
`JudgeRole` that reads a judge request, says what a faultless judge would answer for each rubric item and
writes the answer in the judge's format. The simulator adds what is its own: each verdict is flipped with
probability ``scripted.classifier_error_rate``, a draw per task, call, seed, tier and item (common random
numbers, see `skill`), so the judge's two orders are different calls and really can disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Protocol

from pytest_hybrid_eval.simulator import skill
from pytest_hybrid_eval.tasks.model import Task

__all__ = ["ItemReading", "JudgeRequest", "JudgeRole", "judge_reply"]


@dataclass(frozen=True)
class JudgeRequest:
    """What a judge is asked: the rubric item names in the order listed, and the review to grade."""

    names: tuple[str, ...]
    review: str


@dataclass(frozen=True)
class ItemReading:
    """One item's verdict; ``evidence`` is the quote a judge gives when it says present ('' if none)."""

    name: str
    present: bool
    evidence: str


class JudgeRole(Protocol):
    """The judge's side of a judge call, as the simulator needs it."""

    def read(self, system: str, user: str, flagged: bool) -> JudgeRequest | None:
        """The request in a conversation with this system and user text; None when it is no judge call.

        ``flagged`` is True when the caller marked the call as a judge's (header ``X-Hybrid-Aux: judge``).
        """
        ...

    def truth(self, task: Task | None, request: JudgeRequest) -> list[ItemReading]:
        """A faultless judge's reading of each requested item, in request order (evidence given even for
        items it finds absent, for when the simulated judge errs towards present)."""
        ...

    def answer(self, readings: list[ItemReading]) -> str:
        """The judge's reply text carrying these verdicts."""
        ...


def judge_reply(role: JudgeRole, task: Task | None, request: JudgeRequest, error_rate: float, *,
                cell_id: str, call_index: int, seed: int, tier: str) -> str:
    """The simulated judge's reply: the faultless verdicts, each flipped with probability ``error_rate``."""
    readings = []
    for truth in role.truth(task, request):
        present = truth.present
        if skill.draw("judge", skill.situation(cell_id), call_index, seed, tier, truth.name) < error_rate:
            present = not present
        readings.append(replace(truth, present=present, evidence=truth.evidence if present else ""))
    return role.answer(readings)
