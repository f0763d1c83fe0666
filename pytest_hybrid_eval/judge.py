"""LLM-judge scoring for review tasks (d4): the rubric's findings judged by the cloud model, in two orders.

The deterministic rubric (``rubric.py``) is the default scorer of ``scorer: rubric`` tasks. Regular
expressions reward wording, though: a review that explains the problem well in words the patterns did not
foresee is marked down. The judge is the second opinion the issue asks for. It reads the fixed prompt in
``router/judge_prompt.md``, the task's ``change.diff``, the rubric items (name + description, never the
patterns) and the review, and answers one JSON verdict per item.

Why two orders: an LLM judge is biased by position (what it reads first, which items come first). Each
review is judged twice — rubric before review with the items forward, then review before rubric with the
items reversed — and an item counts only when both answers agree it is present. A disagreement counts as
"not present" and is recorded, so position bias shows in the row's notes instead of in the score.

Why the proxy's cloud tier, under the cell's path: the judge is part of what a cell costs; going through
``<proxy>/cells/<cell_id>/<strategy>/v1`` with the model name suffixed ``!cloud`` forces the tier (so the
strategy under test never routes the judge) and puts the tokens in the cell's ledger like any other call.

A reply that is not the JSON asked for is a failed judgement of that order (recorded with the reason).
A failed order means no item can be confirmed by both orders; the scorer then reports ``score_error``
(the judge failed, not the candidate) so a resumed sweep retries the cell instead of keeping a false 0.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx

from pytest_hybrid_eval.cells import Cell
from pytest_hybrid_eval.datafiles import data_path
from pytest_hybrid_eval.errors import HybridEvalError, TaskError
from pytest_hybrid_eval.routing.routes import cell_url
from pytest_hybrid_eval.rubric import Rubric, review_text, shortfall, task_rubric
from pytest_hybrid_eval.scoring.base import ScoreResult
from pytest_hybrid_eval.tasks.model import Task
from pytest_hybrid_eval.usage import TokenCounts

SCORER_NAME = "llm-judge"
JUDGE_MARKER = "hybrid-eval review judge"  # the scripted backend recognises a judge request by this phrase
JUDGE_MODEL = "hybrid-judge"
DIFF_FILE = "change.diff"
MAX_JUDGE_REVIEW_CHARS = 20_000  # a review is a page or two; more only buys tokens, not a better verdict
MAX_DIFF_CHARS = 40_000
RAW_KEEP_CHARS = 2_000  # how much of each raw answer a JudgeResult keeps for the record
DEFAULT_TIMEOUT_S = 180.0
FALLBACK_STRATEGY = "always-cloud"  # path segment when the cell id cannot be parsed (the tier is forced anyway)

ORDERS: tuple[str, ...] = ("rubric-first-forward", "review-first-reversed")

_ITEM_LINE = re.compile(r"^- (finding|penalty) `([a-z0-9][a-z0-9-]*)`:", re.MULTILINE)
_FENCED_JSON = re.compile(r"```(?:json)?\s*\n(.*?)\n?```", re.DOTALL)


class JudgeError(HybridEvalError):
    """The judge could not be asked at all (no prompt file, bad cell id)."""


def judge_prompt() -> str:
    """The fixed system prompt; refusing a prompt without the marker keeps the scripted judge reachable."""
    try:
        text = data_path("router", "judge_prompt.md").read_text(encoding="utf-8")
    except (FileNotFoundError, OSError) as exc:
        raise JudgeError(f"router/judge_prompt.md cannot be read ({exc}); restore the file") from None
    if JUDGE_MARKER not in text:
        raise JudgeError(f"router/judge_prompt.md must contain the phrase {JUDGE_MARKER!r}")
    return text


# -- the request -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RubricItem:
    """One thing the judge decides on: a finding (credit) or a penalty (a claim that costs credit)."""

    kind: str  # "finding" | "penalty"
    name: str
    description: str
    weight: float
    key: bool = False


def rubric_items(rubric: Rubric) -> list[RubricItem]:
    """Findings then penalties, as the judge sees them (names and descriptions; the patterns stay hidden)."""
    items = [RubricItem("finding", f.name, f.description or f.name, f.weight, f.key) for f in rubric.findings]
    items += [RubricItem("penalty", p.name, p.description or p.name, p.weight) for p in rubric.penalties]
    return items


def _fence(label: str, *texts: str) -> str:
    """A marker line that occurs in none of the texts, so a review cannot close its own section."""
    digest = hashlib.sha256("\x00".join(texts).encode("utf-8")).hexdigest()
    for width in range(8, len(digest) + 1, 8):
        tag = f"{label}-{digest[:width]}"
        if not any(tag in t for t in texts):
            return tag
    return f"{label}-{digest}-{len(''.join(texts))}"


def _section(name: str, body: str, tag: str) -> str:
    return f"BEGIN {name} {tag}\n{body.rstrip()}\nEND {name} {tag}"


def build_user_message(diff: str, items: list[RubricItem], review: str, order: str) -> str:
    """The user turn for one order; the sections and the item order are what the two orders vary."""
    if order not in ORDERS:
        raise ValueError(f"unknown judge order {order!r}; valid orders: {', '.join(ORDERS)}")
    listed = items if order == "rubric-first-forward" else list(reversed(items))
    rubric_text = "\n".join(f"- {i.kind} `{i.name}`: {' '.join(i.description.split())}" for i in listed)
    tag = _fence("PART", diff, review, rubric_text)
    parts = {
        "CHANGE": _section("CHANGE", diff or "(no diff available)", tag),
        "RUBRIC": _section("RUBRIC", rubric_text, tag),
        "REVIEW": _section("REVIEW", review if review.strip() else "(the review is empty)", tag),
    }
    seq = ("CHANGE", "RUBRIC", "REVIEW") if order == "rubric-first-forward" else ("CHANGE", "REVIEW", "RUBRIC")
    head = f"Grade the review against the rubric. There are {len(items)} rubric items."
    return head + "\n\n" + "\n\n".join(parts[s] for s in seq) + "\n"


def split_user_message(text: str) -> tuple[list[tuple[str, str]], str] | None:
    """Inverse of ``build_user_message``: the listed (kind, name) items in order, and the review text.

    Used by the scripted backend to read a judge request the way a model would read it; None when the
    text is not a judge request.
    """
    # the change section opens every request, so its marker carries the real tag (a review may forge others)
    match = re.search(r"^BEGIN CHANGE (PART-[0-9a-f-]+)$", text, re.MULTILINE)
    if match is None:
        return None
    tag = match.group(1)

    def body(name: str) -> str | None:
        m = re.search(rf"^BEGIN {name} {re.escape(tag)}\n(.*?)\nEND {name} {re.escape(tag)}$", text,
                      re.MULTILINE | re.DOTALL)
        return m.group(1) if m else None

    rubric, review = body("RUBRIC"), body("REVIEW")
    if rubric is None or review is None:
        return None
    if review == "(the review is empty)":
        review = ""
    return [(m.group(1), m.group(2)) for m in _ITEM_LINE.finditer(rubric)], review


# -- the answer ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParsedAnswer:
    """One order's verdicts (item name -> present), or why the answer could not be used."""

    verdicts: dict[str, bool] | None
    error: str | None = None
    evidence: dict[str, str] = field(default_factory=dict)


def _json_candidates(text: str) -> list[str]:
    """Where a JSON object may sit in a reply: the whole text, a ```json fence, the outermost braces."""
    out = [text.strip()]
    out += [m.group(1).strip() for m in _FENCED_JSON.finditer(text)]
    first, last = text.find("{"), text.rfind("}")
    if 0 <= first < last:
        out.append(text[first : last + 1])
    return out


def parse_answer(text: str | None, names: list[str]) -> ParsedAnswer:
    """Validate a judge reply: one boolean verdict for each expected item name, nothing unknown."""
    if not text or not text.strip():
        return ParsedAnswer(None, "empty answer")
    obj: Any = None
    for candidate in _json_candidates(text):
        try:
            obj = json.loads(candidate)
            break
        except ValueError:
            continue
    if obj is None:
        return ParsedAnswer(None, "answer is not JSON")
    if not isinstance(obj, dict) or not isinstance(obj.get("verdicts"), list):
        return ParsedAnswer(None, "answer has no 'verdicts' list")
    verdicts: dict[str, bool] = {}
    evidence: dict[str, str] = {}
    expected = set(names)
    for i, entry in enumerate(obj["verdicts"]):
        if not isinstance(entry, dict):
            return ParsedAnswer(None, f"verdict {i} is not an object")
        name, present = entry.get("item"), entry.get("present")
        if not isinstance(name, str) or name not in expected:
            return ParsedAnswer(None, f"verdict {i} names an unknown item {name!r}")
        if not isinstance(present, bool):
            return ParsedAnswer(None, f"verdict for {name!r} has a non-boolean 'present' ({present!r})")
        if name in verdicts and verdicts[name] != present:
            return ParsedAnswer(None, f"contradictory verdicts for {name!r}")
        verdicts[name] = present
        if isinstance(entry.get("evidence"), str):
            evidence[name] = entry["evidence"][:200]
    missing = [n for n in names if n not in verdicts]
    if missing:
        return ParsedAnswer(None, f"no verdict for: {', '.join(missing)}")
    return ParsedAnswer(verdicts, None, evidence)


# -- the result ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderOutcome:
    """One of the two judge calls: what came back and whether it could be used."""

    order: str
    ok: bool
    error: str | None
    http_status: int
    call_index: int | None  # the proxy's index of this call in the cell's ledger
    usage: TokenCounts
    raw: str  # the answer text (cut to RAW_KEEP_CHARS)
    latency_ms: float


@dataclass(frozen=True)
class ItemVerdict:
    """The two orders' verdicts on one item and whether it counts (both said present)."""

    kind: str
    name: str
    weight: float
    key: bool
    verdicts: tuple[bool | None, ...]  # per order, None when that order failed
    counted: bool
    agreed: bool


@dataclass(frozen=True)
class JudgeResult:
    """The judge's verdict on one review, with everything needed to audit it."""

    score: float
    passed: bool
    items: tuple[ItemVerdict, ...]
    orders: tuple[OrderOutcome, ...]
    usage: TokenCounts
    error: str | None  # set when an order failed: the verdict is not usable as a score
    pass_threshold: float

    @property
    def found(self) -> tuple[str, ...]:
        return tuple(i.name for i in self.items if i.kind == "finding" and i.counted)

    @property
    def missed(self) -> tuple[str, ...]:
        return tuple(i.name for i in self.items if i.kind == "finding" and not i.counted)

    @property
    def missed_key(self) -> tuple[str, ...]:
        return tuple(i.name for i in self.items if i.kind == "finding" and i.key and not i.counted)

    @property
    def penalties(self) -> tuple[str, ...]:
        return tuple(i.name for i in self.items if i.kind == "penalty" and i.counted)

    @property
    def disagreements(self) -> tuple[str, ...]:
        return tuple(i.name for i in self.items if not i.agreed)

    @property
    def call_indices(self) -> tuple[int, ...]:
        return tuple(o.call_index for o in self.orders if o.call_index is not None)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (for logs and the rejudge report)."""
        return {
            "score": self.score, "passed": self.passed, "error": self.error,
            "pass_threshold": self.pass_threshold, "usage": self.usage.model_dump(),
            "items": [asdict(i) for i in self.items],
            "orders": [asdict(o) | {"usage": o.usage.model_dump()} for o in self.orders],
            "found": list(self.found), "disagreements": list(self.disagreements),
        }


def combine(items: list[RubricItem], answers: list[ParsedAnswer], pass_threshold: float
            ) -> tuple[float, bool, tuple[ItemVerdict, ...]]:
    """Score from both orders: an item counts only when every order parsed and said it is present."""
    out: list[ItemVerdict] = []
    gained = 0.0
    for item in items:
        per = tuple(a.verdicts.get(item.name) if a.verdicts is not None else None for a in answers)
        counted = bool(per) and all(v is True for v in per)
        agreed = all(v is not None for v in per) and len(set(per)) == 1
        if counted:
            gained += item.weight
        out.append(ItemVerdict(item.kind, item.name, item.weight, item.key, per, counted, agreed))
    total = sum(i.weight for i in items if i.kind == "finding")
    score = min(1.0, max(0.0, gained / total)) if total > 0 else 0.0
    missed_key = any(v.kind == "finding" and v.key and not v.counted for v in out)
    return score, score >= pass_threshold and not missed_key, tuple(out)


# -- asking ---------------------------------------------------------------------------------------------------


def judge_url(proxy_url: str, cell_id: str) -> str:
    """The cell's chat endpoint on the proxy (the strategy segment is the cell's; the tier is forced)."""
    try:
        strategy = Cell.parse(cell_id).strategy
    except HybridEvalError:
        strategy = FALLBACK_STRATEGY
    return f"{cell_url(proxy_url, cell_id, strategy)}/chat/completions"


def _usage(obj: Any) -> TokenCounts:
    u = obj.get("usage") if isinstance(obj, dict) else None
    if not isinstance(u, dict):
        return TokenCounts()
    as_int = lambda v: v if isinstance(v, int) and not isinstance(v, bool) else 0  # noqa: E731
    details = u.get("prompt_tokens_details") if isinstance(u.get("prompt_tokens_details"), dict) else {}
    reasoning = u.get("completion_tokens_details") if isinstance(u.get("completion_tokens_details"), dict) else {}
    return TokenCounts(prompt=as_int(u.get("prompt_tokens")), completion=as_int(u.get("completion_tokens")),
                       cached=as_int(details.get("cached_tokens")), reasoning=as_int(reasoning.get("reasoning_tokens")))


def _ask(client: httpx.Client, url: str, system: str, user: str, names: list[str], order: str
         ) -> tuple[OrderOutcome, ParsedAnswer]:
    """One judge call through the proxy; every failure becomes a recorded, failed order."""
    body = {"model": f"{JUDGE_MODEL}!cloud", "temperature": 0, "stream": False,
            "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}]}
    t0 = time.perf_counter()
    status, index, raw, usage = 0, None, "", TokenCounts()
    try:
        resp = client.post(url, json=body, headers={"X-Hybrid-Aux": "judge"})
        status = resp.status_code
        header = resp.headers.get("X-Hybrid-Call-Index")
        index = int(header) if header and header.lstrip("-").isdigit() else None
        if status != 200:
            parsed = ParsedAnswer(None, f"judge call returned HTTP {status}: {resp.text[:200]}")
        else:
            obj = resp.json()
            usage = _usage(obj)
            raw = obj["choices"][0]["message"].get("content") or ""
            parsed = parse_answer(raw, names)
    except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
        parsed = ParsedAnswer(None, f"judge call failed: {type(exc).__name__}: {exc}"[:300])
    outcome = OrderOutcome(order, parsed.verdicts is not None, parsed.error, status, index, usage,
                           raw[:RAW_KEEP_CHARS], (time.perf_counter() - t0) * 1000)
    return outcome, parsed


def task_diff(task: Task) -> str:
    """The reviewed change as the agent saw it (public/change.diff), cut to a bounded size."""
    path = task.public_dir / DIFF_FILE
    text = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""
    return text[:MAX_DIFF_CHARS]


def judge_review(task: Task, review_text: str, proxy_url: str, cell_id: str, *, rubric: Rubric | None = None,
                 timeout_s: float = DEFAULT_TIMEOUT_S) -> JudgeResult:
    """Ask the cloud judge, in both orders, whether the review makes each rubric point; see module doc."""
    rubric = rubric or task_rubric(task)
    items = rubric_items(rubric)
    names = [i.name for i in items]
    system = judge_prompt()
    review = (review_text or "")[:MAX_JUDGE_REVIEW_CHARS]
    diff = task_diff(task)
    url = judge_url(proxy_url, cell_id)
    outcomes: list[OrderOutcome] = []
    answers: list[ParsedAnswer] = []
    with httpx.Client(trust_env=False, timeout=timeout_s) as client:
        for order in ORDERS:
            outcome, parsed = _ask(client, url, system, build_user_message(diff, items, review, order), names, order)
            outcomes.append(outcome)
            answers.append(parsed)
    score, passed, verdicts = combine(items, answers, rubric.pass_threshold)
    usage = TokenCounts.sum_of(o.usage for o in outcomes)
    failed = [f"{o.order}: {o.error}" for o in outcomes if not o.ok]
    error = "judge failed in " + "; ".join(failed) if failed else None
    return JudgeResult(score, passed and error is None, verdicts, tuple(outcomes), usage, error,
                       rubric.pass_threshold)


def describe(result: JudgeResult) -> str | None:
    """Why a review failed under the judge, in one line (None when it passed)."""
    if result.passed:
        return None
    if result.error:
        return result.error
    parts = shortfall("judge", result.score, result.pass_threshold, missed_key=result.missed_key,
                      missed=result.missed, penalties=result.penalties)
    if result.disagreements:
        parts.append(f"orders disagreed on: {', '.join(result.disagreements)}")
    return "; ".join(parts)


def result_notes(result: JudgeResult) -> tuple[str, ...]:
    """The ScoreResult notes of a judged review; the first names the scorer so rows can be audited."""
    notes = [f"judge score {result.score:.3f}; found: {', '.join(result.found) or '-'}",
             f"judge tokens (cloud, {len(result.orders)} calls): prompt {result.usage.prompt}, "
             f"completion {result.usage.completion}"]
    if result.disagreements:
        notes.append(f"judge orders disagreed on: {', '.join(result.disagreements)} (counted as not present)")
    if result.penalties:
        notes.append(f"penalised: {', '.join(result.penalties)}")
    notes += [f"judge order {o.order} failed: {o.error}" for o in result.orders if not o.ok]
    return tuple(notes)


def score_with_judge(task: Task, files: dict[str, str | None], proxy_url: str, cell_id: str, *,
                     sandbox_kind: str = "none", timeout_s: float = DEFAULT_TIMEOUT_S) -> ScoreResult:
    """The judge's verdict as a ScoreResult (findings play the role of tests, like the rubric scorer).

    Nothing of the candidate runs, so no sandbox is used; ``sandbox_kind`` only carries provenance. A
    broken rubric or a failed judge is ``score_error`` (not the candidate's fault).
    """
    start = time.monotonic()
    try:
        rubric = task_rubric(task)
    except TaskError as exc:
        return ScoreResult(False, 0, 0, "score_error", str(exc), time.monotonic() - start, sandbox_kind,
                           scorer=SCORER_NAME)
    if task.scorer != "rubric":
        return ScoreResult(False, 0, 0, "score_error", f"task {task.id} is not a review task (scorer: "
                           f"{task.scorer}); the LLM judge scores only scorer: rubric tasks",
                           time.monotonic() - start, sandbox_kind, scorer=SCORER_NAME)
    text = review_text(task, rubric, files)
    try:
        result = judge_review(task, text, proxy_url, cell_id, rubric=rubric, timeout_s=timeout_s)
    except JudgeError as exc:
        return ScoreResult(False, 0, len(rubric.findings), "score_error", str(exc), time.monotonic() - start,
                           sandbox_kind, scorer=SCORER_NAME)
    notes = result_notes(result)
    if len(text) > MAX_JUDGE_REVIEW_CHARS:
        notes += (f"review cut to its first {MAX_JUDGE_REVIEW_CHARS} characters for the judge",)
    return ScoreResult(result.passed, len(result.found), len(rubric.findings),
                       "score_error" if result.error else None, describe(result), time.monotonic() - start,
                       sandbox_kind, notes=notes, scorer=SCORER_NAME)
