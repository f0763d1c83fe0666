"""Rubric scoring of review tasks: the d4 suite's verdicts, the rubric schema's errors, and the dispatch."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pytest_hybrid_eval.errors import TaskError
from pytest_hybrid_eval.rubric import (
    RUBRIC_FILE,
    load_rubric,
    parse_rubric,
    score_review,
    task_rubric,
)
from pytest_hybrid_eval.sandbox.base import Limits
from pytest_hybrid_eval.scoring.base import ScoreContext
from pytest_hybrid_eval.scoring.registry import score
from pytest_hybrid_eval.tasks.model import Task, discover_tasks, load_task
from pytest_hybrid_eval.tasks.validate import validate_task
from pytest_hybrid_eval.workspace import prepare_workspace

REFACTORS = Path(__file__).resolve().parent.parent / "bench_suites" / "refactors"
D4_IDS = ["d4-sql-injection", "d4-pagination-off-by-one", "d4-cache-invalidation", "d4-timezone-naive"]

OFF_TOPIC = """# Review

The soup recipe needs more salt and the onions should be cooked for longer before the stock goes in.
Serve with bread. The photographs on the page are lovely.
"""


class NoRunSandbox:
    """A sandbox that fails the test if anything is run: rubric scoring must not execute candidate code."""

    kind = "no-run"
    isolated = False

    def run(self, argv: list[str], cwd: Path, limits: Limits, env: dict[str, str] | None = None) -> None:
        raise AssertionError(f"rubric scoring ran a process: {argv}")


def _task(task_id: str) -> Task:
    return load_task(REFACTORS / task_id)


def _review(task: Task, where: str) -> str:
    return (task.root / where / "REVIEW.md").read_text(encoding="utf-8")


def _copy(task_id: str, tmp_path: Path) -> Path:
    dest = tmp_path / task_id
    shutil.copytree(REFACTORS / task_id, dest)
    return dest


def _rubric(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {
        "pass_threshold": 0.6,
        "findings": [
            {"name": "leak", "weight": 3, "key": True,
             "patterns": ["leak|never (closed|released)", ["open_file", r"files\.py"]]},
            {"name": "naming", "weight": 1, "patterns": [r"rename|\bname\b"]},
        ],
        "penalties": [{"name": "approves", "weight": -3, "patterns": [r"\blgtm\b"]}],
    }  # fmt: skip
    return {**base, **overrides}


# -- the d4 suite --------------------------------------------------------------------------------------


def test_d4_family_is_discovered_as_rubric_tasks() -> None:
    d4 = {t.id: t for t in discover_tasks([REFACTORS]) if t.family == "d4"}
    assert set(D4_IDS) <= set(d4)
    for task in d4.values():
        assert task.scorer == "rubric" and task.task_class == "refactors"
        assert task.editable == ["REVIEW.md"]
        assert (task.public_dir / "change.diff").is_file()
        assert (task.hidden_dir / RUBRIC_FILE).is_file()


@pytest.mark.parametrize("task_id", D4_IDS)
def test_workspace_has_the_change_but_no_tests_and_no_secrets(task_id: str, tmp_path: Path) -> None:
    """No tests/ directory: the built-in agent would otherwise rerun an empty suite (exit 5) every turn."""
    ws = prepare_workspace(_task(task_id), tmp_path / "ws")
    assert not (ws / "tests").exists()
    assert (ws / "change.diff").is_file() and (ws / "REVIEW.md").is_file()
    assert not (ws / RUBRIC_FILE).exists() and not (ws / "hidden").exists() and not (ws / "reference").exists()


@pytest.mark.parametrize("task_id", D4_IDS)
def test_reference_review_gets_full_marks(task_id: str) -> None:
    task = _task(task_id)
    rubric = task_rubric(task)
    result = score_review(_review(task, "reference"), rubric)
    assert result.passed and result.score == 1.0
    assert result.missed == () and result.penalties == ()
    assert set(result.matched) == {f.name for f in rubric.findings}


@pytest.mark.parametrize("task_id", D4_IDS)
def test_empty_and_off_topic_reviews_score_zero(task_id: str) -> None:
    task = _task(task_id)
    rubric = task_rubric(task)
    for text in ("", "   \n\n", OFF_TOPIC, (task.public_dir / "REVIEW.md").read_text(encoding="utf-8")):
        result = score_review(text, rubric)
        assert result.score == 0.0 and not result.passed and result.matched == ()


@pytest.mark.parametrize("task_id", D4_IDS)
def test_decoy_review_fails_and_misses_the_key_finding(task_id: str) -> None:
    task = _task(task_id)
    rubric = task_rubric(task)
    result = score_review(_review(task, "decoy"), rubric)
    key = {f.name for f in rubric.findings if f.key}
    assert key and not result.passed
    assert result.score < rubric.pass_threshold
    assert set(result.missed_key) == key


@pytest.mark.parametrize("task_id", D4_IDS)
def test_review_of_another_change_fails(task_id: str) -> None:
    """A good review of a different diff names the wrong problems: it must not pass this rubric."""
    rubric = task_rubric(_task(task_id))
    for other in D4_IDS:
        if other != task_id:
            result = score_review(_review(_task(other), "reference"), rubric)
            assert not result.passed, f"{other}'s reference passes {task_id}'s rubric"


def test_approving_a_good_review_is_penalised_below_the_threshold() -> None:
    task = _task("d4-sql-injection")
    rubric = task_rubric(task)
    result = score_review(_review(task, "reference") + "\n\nOtherwise LGTM, ship it.\n", rubric)
    assert result.penalties == ("approves-change",)
    assert result.matched_weight == rubric.total_weight
    assert result.score == pytest.approx((rubric.total_weight - 3) / rubric.total_weight)
    assert not result.passed


def test_recommending_a_naive_fix_is_penalised() -> None:
    task = _task("d4-timezone-naive")
    text = _review(task, "reference") + "\nAlternatively, use datetime.utcnow() everywhere.\n"
    result = score_review(text, task_rubric(task))
    assert result.penalties == ("recommends-utcnow",) and result.score < 1.0


# -- matching semantics --------------------------------------------------------------------------------


def test_every_pattern_group_must_match() -> None:
    rubric = parse_rubric(_rubric(), "mem")
    assert score_review("There is a leak somewhere.", rubric).matched == ()
    assert score_review("open_file is called twice.", rubric).matched == ()
    both = score_review("The handle from open_file is never closed: a leak.", rubric)
    assert both.matched == ("leak",) and both.passed and both.score == pytest.approx(0.75)


def test_matching_is_case_insensitive_and_spans_line_breaks() -> None:
    rubric = parse_rubric(_rubric(), "mem")
    result = score_review("In FILES.PY the handle is never\n   closed.\n", rubric)
    assert result.matched == ("leak",)


def test_key_finding_is_required_even_above_the_threshold() -> None:
    raw = _rubric(pass_threshold=0.2)
    rubric = parse_rubric(raw, "mem")
    result = score_review("Please rename the variable.", rubric)
    assert result.score == pytest.approx(0.25) and result.missed_key == ("leak",) and not result.passed


def test_penalties_cannot_push_the_score_below_zero() -> None:
    rubric = parse_rubric(_rubric(), "mem")
    assert score_review("lgtm", rubric).score == 0.0


# -- rubric errors: one line naming the file, the field and the fix -----------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("findings: [\n  - name: x\n", "invalid YAML"),
        ("- just\n- a list\n", "must be a mapping"),
        ("findings:\n  - {name: a, weight: 1, patterns: [x]}\n", "field 'pass_threshold'"),
        ("pass_threshold: 1.5\nfindings:\n  - {name: a, weight: 1, patterns: [x]}\n", "field 'pass_threshold'"),
        ("pass_threshold: 0.5\nfindings: []\n", "field 'findings'"),
        ("pass_threshold: 0.5\nfindings:\n  - {name: a, weight: 1, patterns: ['(']}\n",
         "field 'findings.0.patterns'"),
        ("pass_threshold: 0.5\nfindings:\n  - {name: a, weight: 0, patterns: [x]}\n", "field 'findings.0.weight'"),
        ("pass_threshold: 0.5\nfindings:\n  - {name: a, weight: 1, patterns: [x]}\n"
         "penalties:\n  - {name: p, weight: 2, patterns: [y]}\n", "field 'penalties.0.weight'"),
        ("pass_threshold: 0.5\nfindings:\n  - {name: a, weight: 1, patterns: [x]}\n"
         "  - {name: a, weight: 1, patterns: [y]}\n", "duplicated: a"),
        ("pass_threshold: 0.5\nfindings:\n  - {name: Bad Name, weight: 1, patterns: [x]}\n",
         "field 'findings.0.name'"),
        ("pass_threshold: 0.5\nreview_file: ../x.md\nfindings:\n  - {name: a, weight: 1, patterns: [x]}\n",
         "field 'review_file'"),
        ("pass_threshold: 0.5\nfindings:\n  - {name: a, weight: 1, patterns: [x], colour: red}\n",
         "field 'findings.0.colour'"),
    ],
)  # fmt: skip
def test_rubric_errors_are_one_line(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / RUBRIC_FILE
    path.write_text(content, encoding="utf-8")
    with pytest.raises(TaskError) as info:
        load_rubric(path)
    msg = str(info.value)
    assert "\n" not in msg
    assert msg.startswith(str(path)) and expected in msg and "fix" in msg


def test_missing_rubric_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(TaskError, match=r"not found; a rubric task needs hidden/rubric\.yaml$"):
        load_rubric(tmp_path / RUBRIC_FILE)


# -- scoring.score dispatch ----------------------------------------------------------------------------


@pytest.mark.parametrize("task_id", D4_IDS)
def test_score_dispatches_to_the_rubric(task_id: str) -> None:
    task = _task(task_id)
    n_findings = len(task_rubric(task).findings)
    sandbox = NoRunSandbox()

    good = score(task, {"REVIEW.md": _review(task, "reference")}, ScoreContext(sandbox, 5))  # type: ignore[arg-type]
    assert good.passed and good.error is None and good.reason is None
    assert (good.tests_passed, good.tests_total) == (n_findings, n_findings)
    assert good.scorer == "rubric" and good.sandbox_kind == "no-run"

    start = score(task, {}, ScoreContext(sandbox, 5))  # type: ignore[arg-type]
    assert not start.passed and start.error is None
    assert (start.tests_passed, start.tests_total) == (0, n_findings)
    assert start.reason is not None and "missed key finding" in start.reason

    decoy = score(task, {"REVIEW.md": _review(task, "decoy")}, ScoreContext(sandbox, 5))  # type: ignore[arg-type]
    key = [f.name for f in task_rubric(task).findings if f.key]
    assert not decoy.passed and decoy.tests_passed < n_findings
    assert decoy.reason is not None and all(name in decoy.reason for name in key)


def test_score_ignores_files_that_are_not_the_review(tmp_path: Path) -> None:
    task = _task("d4-sql-injection")
    files: dict[str, str | None] = {"REVIEW.md": "", "inventory/search.py": _review(task, "reference")}
    r = score(task, files, ScoreContext(NoRunSandbox(), 5))  # type: ignore[arg-type]
    assert not r.passed and r.tests_passed == 0
    assert any("ignored 'inventory/search.py'" in n for n in r.notes)


def test_broken_rubric_is_a_score_error(tmp_path: Path) -> None:
    root = _copy("d4-sql-injection", tmp_path)
    (root / "hidden" / RUBRIC_FILE).write_text("pass_threshold: 2\nfindings: []\n", encoding="utf-8")
    r = score(load_task(root), {"REVIEW.md": "anything"}, ScoreContext(NoRunSandbox(), 5))  # type: ignore[arg-type]
    assert r.error == "score_error" and not r.passed
    assert r.reason is not None and "pass_threshold" in r.reason and "\n" not in r.reason


# -- validate_task ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("task_id", D4_IDS)
def test_validate_task_accepts_the_d4_tasks(task_id: str) -> None:
    assert validate_task(_task(task_id), NoRunSandbox()) == []  # type: ignore[arg-type]


def test_validate_flags_a_rubric_that_cannot_tell_good_from_bad(tmp_path: Path) -> None:
    root = _copy("d4-cache-invalidation", tmp_path)
    shutil.copy(root / "reference" / "REVIEW.md", root / "decoy" / "REVIEW.md")
    (root / "public" / "REVIEW.md").write_text(
        (root / "reference" / "REVIEW.md").read_text(encoding="utf-8") + "\n", encoding="utf-8"
    )
    problems = validate_task(load_task(root), NoRunSandbox())  # type: ignore[arg-type]
    assert any(p.startswith("starting state already passes") for p in problems)
    assert any(p.startswith("decoy passes the rubric") for p in problems)


def test_validate_flags_a_reference_without_full_marks(tmp_path: Path) -> None:
    root = _copy("d4-timezone-naive", tmp_path)
    shutil.copy(root / "decoy" / "REVIEW.md", root / "reference" / "REVIEW.md")
    problems = validate_task(load_task(root), NoRunSandbox())  # type: ignore[arg-type]
    assert len(problems) == 1 and problems[0].startswith("reference review does not get full marks")


def test_validate_flags_a_leaked_rubric_and_a_bad_review_file(tmp_path: Path) -> None:
    root = _copy("d4-pagination-off-by-one", tmp_path)
    shutil.copy(root / "hidden" / RUBRIC_FILE, root / "public" / "notes.yaml")
    problems = validate_task(load_task(root), NoRunSandbox())  # type: ignore[arg-type]
    assert problems == [f"hidden/{RUBRIC_FILE} is byte-identical to workspace file notes.yaml"]

    rubric = (root / "hidden" / RUBRIC_FILE).read_text(encoding="utf-8")
    (root / "hidden" / RUBRIC_FILE).write_text(rubric.replace("review_file: REVIEW.md", "review_file: NOTES.md"))
    problems = validate_task(load_task(root), NoRunSandbox())  # type: ignore[arg-type]
    assert any("review_file 'NOTES.md' must be listed" in p for p in problems)
