"""What every scorer shares: the verdict type, the context a scorer gets, and the ``Scorer`` protocol.

A scorer turns a candidate's files into a ``ScoreResult``. Three families exist (see ``registry``):
``cases`` (values compared outside the candidate's process), ``pytest`` (a test suite that must run
in-process, hardened with canaries) and the review scorers ``rubric`` and ``llm-judge``. The scorer's
name travels as a field of the result and then of the row, so no one parses it back out of a note.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Literal, Protocol

from pytest_hybrid_eval.sandbox.base import Limits, Sandbox
from pytest_hybrid_eval.tasks.model import Task

#: ``score_error``: scoring could not be carried out (not the candidate's fault). ``forged``: the
#: candidate tampered with the verdict (a canary test came back passed); a failure, never a pass.
ScoreErrorKind = Literal["score_error", "forged"]


@dataclass(frozen=True)
class ScoreResult:
    """The scorer's verdict for one candidate; ``error`` is set for infrastructure failures and forgeries."""

    passed: bool
    tests_passed: int
    tests_total: int
    error: ScoreErrorKind | None
    reason: str | None
    duration_s: float
    sandbox_kind: str
    isolated: bool = False
    limit_hit: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    scorer: str = "pytest"


def last_line(text: str) -> str:
    """The last non-blank line of a run's output (capped), for one-line reasons."""
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1][:300] if lines else ""


class ScoreInfraError(Exception):
    """Scoring could not be carried out for reasons that are not the candidate's fault."""


@dataclass(frozen=True)
class ScoreContext:
    """Everything a scorer may need besides the task and the files; each scorer takes what it uses."""

    #: where candidate code runs; the review scorers run nothing and accept None
    sandbox: Sandbox | None
    timeout_s: float
    limits: Limits | None = None
    #: the routing proxy and the cell, for scorers that ask a model (the LLM judge)
    proxy_url: str | None = None
    cell_id: str | None = None

    @property
    def sandbox_kind(self) -> str:
        return self.sandbox.kind if self.sandbox is not None else "none"

    def require_sandbox(self) -> Sandbox:
        if self.sandbox is None:
            raise ScoreInfraError("this scorer runs candidate code and needs a sandbox")
        return self.sandbox


class Scorer(Protocol):
    """One way of judging a candidate. ``name`` is what rows record in ``Row.scorer``."""

    name: ClassVar[str]

    def score(self, task: Task, files: dict[str, str | None], ctx: ScoreContext) -> ScoreResult:
        """Judge ``files`` (editable path -> content; None keeps the public version) for ``task``."""
        ...
