"""The ``cases`` scorer's parts: expectations parsed and stripped, strict comparison, and a whole run.

The attacks on the verdict itself are in tests/test_forgery.py; here each building block is checked on
its own, with small tasks written into ``tmp_path``.
"""

from __future__ import annotations

import textwrap
from decimal import Decimal
from pathlib import Path

import pytest

from pytest_hybrid_eval.errors import TaskError
from pytest_hybrid_eval.sandbox.base import Limits
from pytest_hybrid_eval.sandbox.bwrap import BwrapSandbox
from pytest_hybrid_eval.sandbox.process import ProcessSandbox
from pytest_hybrid_eval.sandbox.select import probe_bwrap
from pytest_hybrid_eval.scoring import casekit
from pytest_hybrid_eval.scoring.base import ScoreContext
from pytest_hybrid_eval.scoring.compare import mismatch
from pytest_hybrid_eval.scoring.registry import score, scorer_name
from pytest_hybrid_eval.scoring.spec import Approx, Member, RaisedMatcher, read_cases
from pytest_hybrid_eval.tasks.model import load_task

SENTINEL = 918273645546372819
BWRAP = probe_bwrap()


def write_task(root: Path, cases: str, public: str, verdicts: str | None = None) -> Path:
    task = root / "mini"
    (task / "public").mkdir(parents=True)
    (task / "hidden").mkdir()
    (task / "reference").mkdir()
    (task / "task.yaml").write_text(textwrap.dedent("""\
        id: mini
        class: puzzles
        family: fixture
        difficulty: easy
        prompt: implement f in m.py
        editable: [m.py]
        test_timeout_s: 10
    """))
    (task / "public" / "m.py").write_text(public)
    (task / "reference" / "m.py").write_text(public)
    (task / "hidden" / "cases.py").write_text(textwrap.dedent(cases))
    if verdicts is not None:
        (task / "hidden" / "verdicts.py").write_text(textwrap.dedent(verdicts))
    return task


def run(task_dir: Path, code: str, kind: str = "process", wall_s: float = 10):
    task = load_task(task_dir)
    sandbox = BwrapSandbox(hide=[task_dir]) if kind == "bwrap" else ProcessSandbox()
    return score(task, {"m.py": code}, ScoreContext(sandbox, wall_s, limits=Limits(wall_s=wall_s, memory_mb=512)))


CASES = f"""\
    from hybrid_cases import attempt, case, raised
    from m import f, g


    @case(expect={SENTINEL})
    def value():
        return f()


    @case(expect=[1, raised("ValueError", "bad input")])
    def sequence():
        return [g(1), attempt(g, -1)]
"""
GOOD = f"def f():\n    return {SENTINEL}\n\n\ndef g(x):\n    if x < 0:\n        raise ValueError('bad input')\n    return x\n"


def test_expectations_are_read_and_stripped_from_the_sandbox_copy(tmp_path: Path) -> None:
    task = write_task(tmp_path, CASES, GOOD)
    spec = read_cases(task / "hidden" / "cases.py")
    assert [c.name for c in spec.cases] == ["value", "sequence"]
    assert spec.cases[0].expect == SENTINEL
    assert spec.cases[1].expect == [1, RaisedMatcher("ValueError", "bad input")]
    assert str(SENTINEL) not in spec.stripped_source and "bad input" not in spec.stripped_source
    assert "@case()" in spec.stripped_source


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("@case(expect=open('x').read())\ndef a():\n    return 1\n", "Call is not allowed"),
        ("@case(expect=open('x'))\ndef a():\n    return 1\n", "is not an expectation helper"),
        ("@case(expect=x)\ndef a():\n    return 1\n", "Name is not allowed"),
        ("@case()\ndef a():\n    return 1\n", "exactly one of expect= or check="),
        ("@case(expect=1, check='c')\ndef a():\n    return 1\n", "exactly one of expect= or check="),
        ("@case(expect=1, timeout=-1)\ndef a():\n    return 1\n", "positive number"),
        ("def a():\n    return 1\n", "defines no @case functions"),
    ],
)
def test_bad_cases_files_are_one_line_task_errors(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "cases.py"
    path.write_text("from hybrid_cases import case\n" + body)
    with pytest.raises(TaskError, match=message):
        read_cases(path)


@pytest.mark.parametrize(
    ("expected", "value", "ok"),
    [
        (1, 1, True), (1, 1.0, True), (1, True, False), (True, 1, False), ("a", "a", True),
        ([1, 2], [1, 2], True), ([1, 2], (1, 2), False), ((1, 2), (1, 2), True),
        ({"a": 1}, {"a": 1}, True), ({"a": 1}, {"a": 1, "b": 2}, False), ({1, 2}, {2, 1}, True),
        ({1, 2}, frozenset({1, 2}), True), (b"x", b"x", True), (Decimal("1.10"), Decimal("1.1"), True),
        (Approx(0.3, rel=1e-9), 0.1 + 0.2, True), (Approx(0.3, rel=1e-12), 0.31, False),
        (None, None, True), (None, 0, False), (float("inf"), float("inf"), True),
    ],
)
def test_comparison_reads_like_an_assertion_but_by_type_family(expected: object, value: object, ok: bool) -> None:
    assert (mismatch(expected, casekit.encode(value)) is None) is ok


def test_objects_of_the_candidate_never_compare_equal() -> None:
    class Always:
        def __eq__(self, other: object) -> bool:
            return True

        __hash__ = object.__hash__

    class Sneaky(str):
        def __eq__(self, other: object) -> bool:
            return True

        __hash__ = str.__hash__

    for forged in (Always(), Sneaky("x"), [Always()], {"a": Sneaky("b")}):
        assert "__object__" in str(casekit.encode(forged))
        assert mismatch(["anything"], casekit.encode([forged])) is not None
        assert mismatch("x", casekit.encode(forged)) is not None


def test_enum_members_and_raised_exceptions_are_data() -> None:
    import enum

    class Color(enum.Enum):
        RED = "red"

    assert mismatch(Member("Color.RED"), casekit.encode(Color.RED)) is None
    assert mismatch(Member("Color.BLUE"), casekit.encode(Color.RED)) is not None
    spoof = type("ValueError", (Exception,), {})  # calls itself ValueError, is not one
    assert mismatch(RaisedMatcher("ValueError"), casekit.encode(casekit.attempt(_raise, spoof("m")))) is not None
    assert mismatch(RaisedMatcher("ValueError", "^m$"), casekit.encode(casekit.attempt(_raise, ValueError("m")))) is None


def _raise(exc: BaseException) -> None:
    raise exc


KINDS = ["process", pytest.param("bwrap", marks=pytest.mark.skipif(BWRAP is not None, reason=f"bwrap: {BWRAP}"))]


@pytest.mark.parametrize("kind", KINDS)
def test_a_whole_run_passes_the_reference_and_fails_a_wrong_answer(tmp_path: Path, kind: str) -> None:
    task = write_task(tmp_path, CASES, GOOD)
    assert scorer_name(load_task(task)) == "cases"
    good = run(task, GOOD, kind)
    assert (good.passed, good.tests_passed, good.tests_total, good.scorer) == (True, 2, 2, "cases"), good
    wrong = run(task, GOOD.replace("'bad input'", "'nope'"), kind)
    assert (wrong.passed, wrong.tests_passed, wrong.error) == (False, 1, None)
    assert "sequence" in (wrong.reason or "") and "does not match" in (wrong.reason or "")
    broken = run(task, "def f(:\n", kind)
    assert not broken.passed and "could not be imported" in (broken.reason or "")
    hung = run(task, GOOD + "\nimport time\nwhile True:\n    time.sleep(1)\n", kind, wall_s=3)
    assert not hung.passed and hung.error is None


def test_a_structural_check_reads_the_source_before_the_candidate_runs(tmp_path: Path) -> None:
    """A candidate that rewrites its own file at import must be judged on what it submitted."""
    cases = """\
        from hybrid_cases import case
        import m


        @case(check="no_eval")
        def source():
            return m.f()
    """
    verdicts = """\
        def no_eval(observed, files):
            return "eval(" not in files["m.py"] or "m.py calls eval"
    """
    task = write_task(tmp_path, cases, "def f():\n    return 1\n", verdicts)
    assert run(task, "def f():\n    return 1\n").passed
    cheat = ("import pathlib\npathlib.Path(__file__).write_text('def f():\\n    return 1\\n')\n"
             "def f():\n    return eval('1')\n")  # fmt: skip
    r = run(task, cheat)
    assert not r.passed and "calls eval" in (r.reason or "")
