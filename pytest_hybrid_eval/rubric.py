"""Rubric scoring for review tasks (``scorer: rubric``): a written review is matched against weighted findings.

A code-review task has no program to test: the agent writes ``REVIEW.md`` and we must decide whether it
names the problems that matter. An LLM judge would make the benchmark depend on a model (and on the very
routing we measure), so the verdict is deterministic instead: ``hidden/rubric.yaml`` lists the findings a
good review must contain, each as a set of case-insensitive regular expressions that must *all* match
somewhere in the review (typically one naming the problem, one naming where it is, one naming the fix).
Requiring every group is what keeps a review that merely says "security" or merely names a function from
getting credit; negative-weight penalty patterns catch reviews that wave the change through.

The score is ``(matched weight + penalties) / total weight`` clamped to [0, 1]; a review passes when the
score reaches ``pass_threshold`` and no finding marked ``key`` is missing (the key finding is the reason
the task exists, so no pile of minor remarks may substitute for it). An empty or off-topic review matches
nothing and scores 0. The rubric lives in ``hidden/`` so the agent never sees the patterns.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from pytest_hybrid_eval.errors import TaskError
from pytest_hybrid_eval.scoring.base import ScoreResult
from pytest_hybrid_eval.tasks.model import NAME_RE, Task

RUBRIC_FILE = "rubric.yaml"
MAX_REVIEW_CHARS = 200_000  # reviews are short; a huge file is cut so matching time stays bounded

_WS = re.compile(r"\s+")


def _compile_group(group: str | list[str], where: str) -> re.Pattern[str]:
    """One pattern group (a regex, or a list of alternatives) as a single case-insensitive regex."""
    alternatives = [group] if isinstance(group, str) else group
    if not alternatives or any(not isinstance(a, str) or not a.strip() for a in alternatives):
        raise ValueError(f"{where}: a pattern group must be a non-empty regex or a non-empty list of them")
    for alt in alternatives:
        try:
            re.compile(alt)
        except re.error as exc:
            raise ValueError(f"{where}: invalid regex {alt!r} ({exc})") from None
    return re.compile("|".join(f"(?:{a})" for a in alternatives), re.IGNORECASE)


class _Rule(BaseModel):
    """Shared shape of findings and penalties: a name and pattern groups that must all match."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str = ""
    _compiled: tuple[re.Pattern[str], ...] = PrivateAttr(default=())
    patterns: list[str | list[str]] = Field(min_length=1)

    @field_validator("name")
    @classmethod
    def _slug(cls, v: str) -> str:
        if not NAME_RE.match(v):
            raise ValueError(
                f"{v!r} must be lowercase letters, digits and '-' (it appears in reasons and notes)"
            )
        return v

    @field_validator("patterns")
    @classmethod
    def _compiles(cls, v: list[str | list[str]]) -> list[str | list[str]]:
        for i, group in enumerate(v):
            _compile_group(group, f"group {i}")
        return v

    def model_post_init(self, __context: object) -> None:
        # compiled once per rubric load, not once per scored review
        self._compiled = tuple(_compile_group(g, self.name) for g in self.patterns)

    def matches(self, text: str) -> bool:
        """True when every pattern group matches somewhere in the (normalised) text."""
        return all(p.search(text) for p in self._compiled)


class Finding(_Rule):
    """A problem a good review must name; ``key`` findings are required for a pass whatever the score."""

    weight: float = Field(gt=0)
    key: bool = False


class Penalty(_Rule):
    """A false or harmful claim (e.g. approving the change); its negative weight is added when it matches."""

    weight: float = Field(lt=0)


class Rubric(BaseModel):
    """The schema of ``hidden/rubric.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    review_file: str = "REVIEW.md"
    pass_threshold: float = Field(gt=0, le=1)
    findings: list[Finding] = Field(min_length=1)
    penalties: list[Penalty] = Field(default_factory=list)

    @field_validator("review_file")
    @classmethod
    def _relative(cls, v: str) -> str:
        pure = PurePosixPath(v)
        if not v or pure.is_absolute() or ".." in pure.parts:
            raise ValueError(f"{v!r} must be a path relative to the workspace")
        return v

    @model_validator(mode="after")
    def _unique_names(self) -> Rubric:
        names = [r.name for r in [*self.findings, *self.penalties]]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(
                f"names must be unique across findings and penalties; duplicated: {', '.join(dupes)}"
            )
        return self

    @property
    def total_weight(self) -> float:
        return sum(f.weight for f in self.findings)


@dataclass(frozen=True)
class RubricResult:
    """The verdict on one review: a score in [0, 1] and which findings and penalties matched."""

    score: float
    passed: bool
    matched: tuple[str, ...]
    missed: tuple[str, ...]
    penalties: tuple[str, ...]
    missed_key: tuple[str, ...]
    matched_weight: float
    total_weight: float


def _one_line(msg: str) -> str:
    return " ".join(str(msg).split())


def parse_rubric(raw: object, source: Path | str) -> Rubric:
    """Validate already-loaded YAML; errors are one TaskError line naming the file, the field and the fix."""
    if not isinstance(raw, dict):
        raise TaskError(f"{source}: must be a mapping with pass_threshold and findings; fix the rubric")
    try:
        return Rubric.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(x) for x in err["loc"]) or "(root)"
        raise TaskError(f"{source}: field '{field}': {_one_line(err['msg'])}; fix the rubric") from None


def load_rubric(path: Path | str) -> Rubric:
    """Load ``rubric.yaml``; every error is a single line (see ``parse_rubric``)."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TaskError(f"{path}: not found; a rubric task needs hidden/{RUBRIC_FILE}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TaskError(f"{path}: cannot be read ({_one_line(str(exc))}); fix the file") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        what = getattr(exc, "problem", None) or "syntax error"
        raise TaskError(f"{path}: invalid YAML{where} ({_one_line(what)}); fix the syntax") from None
    return parse_rubric(raw, path)


def task_rubric(task: Task) -> Rubric:
    """The rubric of a ``scorer: rubric`` task, from its hidden directory."""
    return load_rubric(task.hidden_dir / RUBRIC_FILE)


def normalise(text: str) -> str:
    """Collapse whitespace so a phrase broken across lines or list items still matches one pattern."""
    return _WS.sub(" ", text[:MAX_REVIEW_CHARS]).strip()


def score_review(text: str, rubric: Rubric) -> RubricResult:
    """Score one review against a rubric; deterministic, no model involved."""
    body = normalise(text or "")
    matched: list[str] = []
    missed: list[str] = []
    missed_key: list[str] = []
    gained = 0.0
    for finding in rubric.findings:
        if body and finding.matches(body):
            matched.append(finding.name)
            gained += finding.weight
        else:
            missed.append(finding.name)
            if finding.key:
                missed_key.append(finding.name)
    hits = [p for p in rubric.penalties if body and p.matches(body)]
    total = rubric.total_weight
    raw = (gained + sum(p.weight for p in hits)) / total
    score = min(1.0, max(0.0, raw))
    passed = score >= rubric.pass_threshold and not missed_key
    return RubricResult(score, passed, tuple(matched), tuple(missed), tuple(p.name for p in hits),
                        tuple(missed_key), gained, total)  # fmt: skip


def shortfall(scorer: str, score: float, pass_threshold: float, *, missed_key: tuple[str, ...],
              missed: tuple[str, ...], penalties: tuple[str, ...]) -> list[str]:
    """The parts of a failed review's one-line reason, shared by the rubric and the LLM judge (``judge.py``):
    the score against the threshold, then the key findings missed, all findings missed, the penalties hit."""
    parts = [f"{scorer} score {score:.2f} (pass needs {pass_threshold:.2f})"]
    for label, names in (("missed key finding", missed_key), ("missed", missed), ("penalised", penalties)):
        if names:
            parts.append(f"{label}: {', '.join(names)}")
    return parts


def describe(result: RubricResult, rubric: Rubric) -> str | None:
    """Why a review failed, in one line (None when it passed)."""
    if result.passed:
        return None
    return "; ".join(shortfall("rubric", result.score, rubric.pass_threshold, missed_key=result.missed_key,
                               missed=result.missed, penalties=result.penalties))


def review_text(task: Task, rubric: Rubric, candidate_files: dict[str, str | None]) -> str:
    """The review to score: the candidate's file, or the public starting version when it left it alone."""
    content = candidate_files.get(rubric.review_file)
    if content is not None:
        return content
    public = task.public_dir / rubric.review_file
    return public.read_text(encoding="utf-8") if public.is_file() else ""


def score_task(task: Task, candidate_files: dict[str, str | None], sandbox_kind: str) -> ScoreResult:
    """The rubric verdict as a ScoreResult: findings play the role of tests (matched / required).

    No candidate code runs, so the sandbox is not used; ``sandbox_kind`` is only passed through so rows
    keep the provenance of the run. A broken rubric is the task's fault, not the candidate's, and is
    reported as ``score_error``.
    """
    start = time.monotonic()
    try:
        rubric = task_rubric(task)
    except TaskError as exc:
        return ScoreResult(False, 0, 0, "score_error", str(exc), time.monotonic() - start, sandbox_kind,
                           scorer="rubric")  # fmt: skip
    notes: list[str] = []
    if rubric.review_file not in task.editable:
        return ScoreResult(False, 0, len(rubric.findings), "score_error",
                           f"rubric review_file {rubric.review_file!r} is not an editable file of {task.id}",
                           time.monotonic() - start, sandbox_kind, notes=tuple(notes), scorer="rubric")  # fmt: skip
    notes += [f"ignored {rel!r}: not an editable file of the task" for rel in sorted(candidate_files)
              if rel not in task.editable]  # fmt: skip
    text = review_text(task, rubric, candidate_files)
    if len(text) > MAX_REVIEW_CHARS:
        notes.append(f"review truncated to its first {MAX_REVIEW_CHARS} characters")
    result = score_review(text, rubric)
    notes.append(
        f"rubric score {result.score:.3f} ({result.matched_weight:g}/{result.total_weight:g} weight)"
    )
    if result.passed and result.missed:
        notes.append(f"missed: {', '.join(result.missed)}")
    if result.penalties:
        notes.append(f"penalised: {', '.join(result.penalties)}")
    return ScoreResult(result.passed, len(result.matched), len(rubric.findings), None, describe(result, rubric),
                       time.monotonic() - start, sandbox_kind, notes=tuple(notes), scorer="rubric")  # fmt: skip


def validate_rubric_task(task: Task) -> list[str]:
    """Behavioural checks of a rubric task: the reference gets full marks, the start and the decoy fail."""
    try:
        rubric = task_rubric(task)
    except TaskError as exc:
        return [str(exc)]
    problems: list[str] = []
    if rubric.review_file not in task.editable:
        problems.append(f"rubric review_file {rubric.review_file!r} must be listed in task.yaml 'editable'")
        return problems
    ref_path = task.reference_dir / rubric.review_file
    if not ref_path.is_file():
        problems.append(f"reference/{rubric.review_file} is missing; add a review that earns full marks")
    else:
        r = score_review(ref_path.read_text(encoding="utf-8"), rubric)
        if not r.passed or r.score < 1.0 or r.missed or r.penalties:
            problems.append(f"reference review does not get full marks ({describe_full(r)})")
    start = score_review(review_text(task, rubric, {}), rubric)
    if start.passed:
        problems.append(
            f"starting state already passes the rubric ({describe_full(start)}); the task tests nothing"
        )
    decoy = task.decoy_files()
    if decoy is not None:
        r = score_review(decoy.get(rubric.review_file) or "", rubric)
        if r.passed:
            problems.append(f"decoy passes the rubric ({describe_full(r)}); it must miss a key finding")
    return problems


def describe_full(result: RubricResult) -> str:
    """Score plus matched/missed/penalised names, for validation messages."""
    return (f"score {result.score:.2f}; matched: {', '.join(result.matched) or '-'}; "
            f"missed: {', '.join(result.missed) or '-'}; penalised: {', '.join(result.penalties) or '-'}")  # fmt: skip
