"""Scoring on the fixture task ``calc`` (8 tests: 5 visible incl. 3 parametrized, 3 hidden in a class)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_hybrid_eval.sandbox.base import Sandbox
from pytest_hybrid_eval.sandbox.bwrap import BwrapSandbox
from pytest_hybrid_eval.sandbox.process import ProcessSandbox
from pytest_hybrid_eval.sandbox.select import probe_bwrap
from pytest_hybrid_eval.scoring.base import ScoreContext
from pytest_hybrid_eval.scoring.junit import junit_key
from pytest_hybrid_eval.scoring.registry import score
from pytest_hybrid_eval.tasks.model import Task, load_task
from pytest_hybrid_eval.workspace import collect_edits, prepare_workspace

CALC = Path(__file__).parent / "fixtures" / "tasks" / "calc"
needs_bwrap = pytest.mark.skipif(probe_bwrap() is not None, reason=f"bwrap unusable: {probe_bwrap()}")


@pytest.fixture(scope="module")
def task() -> Task:
    return load_task(CALC)


@pytest.fixture(params=["process", pytest.param("bwrap", marks=needs_bwrap)])
def sandbox(request: pytest.FixtureRequest) -> Sandbox:
    return ProcessSandbox() if request.param == "process" else BwrapSandbox()


def test_reference_passes_with_exact_counts(task: Task, sandbox: Sandbox) -> None:
    r = score(task, task.reference_files(), ScoreContext(sandbox, 20))
    assert (r.passed, r.tests_passed, r.tests_total, r.error, r.reason) == (True, 8, 8, None, None)
    assert r.sandbox_kind == sandbox.kind and r.isolated == sandbox.isolated


def test_starting_state_fails_with_exact_counts(task: Task, sandbox: Sandbox) -> None:
    r = score(task, {}, ScoreContext(sandbox, 20))
    assert (r.passed, r.tests_passed, r.tests_total, r.error) == (False, 3, 8, None)
    assert r.reason == "5 of 8 tests did not pass"


def test_decoy_fails(task: Task, sandbox: Sandbox) -> None:
    r = score(task, task.decoy_files() or {}, ScoreContext(sandbox, 20))
    assert (r.passed, r.tests_passed, r.tests_total) == (False, 6, 8)


def test_syntax_error_is_a_fail_not_an_error(task: Task, sandbox: Sandbox) -> None:
    r = score(task, {"calc.py": "def mul(a, b:\n    return a * b\n"}, ScoreContext(sandbox, 20))
    assert (r.passed, r.tests_passed, r.tests_total, r.error) == (False, 0, 8, None)
    assert "collection error" in (r.reason or "") and "SyntaxError" in (r.reason or "")


def test_editing_or_deleting_tests_gains_nothing(task: Task, sandbox: Sandbox) -> None:
    forged_tests = {
        "calc.py": (CALC / "public" / "calc.py").read_text(),
        "tests/test_calc.py": "def test_ok():\n    pass\n",
        "hidden_tests/test_calc_hidden.py": "",
        "conftest.py": "import pytest\n",
        "../escape.py": "x = 1\n",
    }
    r = score(task, forged_tests, ScoreContext(sandbox, 20))
    assert (r.passed, r.tests_passed, r.tests_total) == (False, 3, 8)
    assert any("tests/test_calc.py" in n for n in r.notes)
    assert not (CALC.parent / "escape.py").exists() and not (CALC / "escape.py").exists()


def test_candidate_cannot_escape_via_editable_deletion(task: Task, sandbox: Sandbox) -> None:
    r = score(task, {"calc.py": None}, ScoreContext(sandbox, 20))  # None keeps the public version
    assert (r.passed, r.tests_passed, r.tests_total) == (False, 3, 8)


def test_infinite_loop_at_import_is_a_timeout_fail(task: Task, sandbox: Sandbox) -> None:
    r = score(task, {"calc.py": "while True:\n    pass\n"}, ScoreContext(sandbox, 2))
    assert (r.passed, r.tests_passed, r.tests_total, r.error) == (False, 0, 8, None)
    assert r.limit_hit == "wall" and "timeout" in (r.reason or "")
    assert r.duration_s < 10


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("patch-runtest", "import _pytest.python\n_pytest.python.Function.runtest = lambda self: None\n"),
        (
            "patch-report",
            "import _pytest.reports\n_pytest.reports.BaseReport.failed = property(lambda self: False)\n",
        ),
        ("skip-module", "import pytest\npytest.skip('nothing to see', allow_module_level=True)\n"),
        (
            "forge-report-and-exit",
            "import os, sys\n"
            "path = [a.split('=', 1)[1] for a in sys.argv if a.startswith('--junitxml=')][0]\n"
            "cases = ''.join(f'<testcase classname=\"tests.test_calc\" name=\"t{i}\"/>' for i in range(8))\n"
            "open(path, 'w').write(f'<testsuites><testsuite tests=\"8\">{cases}</testsuite></testsuites>')\n"
            "os._exit(0)\n",
        ),
    ],
)
def test_cheating_candidates_do_not_pass(task: Task, sandbox: Sandbox, name: str, code: str) -> None:
    r = score(task, {"calc.py": task.reference_files()["calc.py"] + "\n" + code}, ScoreContext(sandbox, 20))
    assert r.passed is False and r.error in (None, "forged"), r  # a fail, or caught as a forgery: never a pass
    assert r.tests_passed < 8
    if name.startswith("patch"):
        assert "tampering" in (r.reason or "")


def test_sandbox_that_cannot_start_is_a_score_error(task: Task) -> None:
    r = score(task, task.reference_files(), ScoreContext(BwrapSandbox(bwrap="/nonexistent/bwrap"), 5))
    assert r.passed is False and r.error == "score_error" and r.reason


def test_junit_key_matches_pytest_naming() -> None:
    assert junit_key("tests/test_calc.py::test_clamp[-1-0]") == ("tests.test_calc", "test_clamp[-1-0]")
    assert junit_key("hidden_tests/test_h.py::TestHidden::test_a") == ("hidden_tests.test_h.TestHidden", "test_a")
    assert junit_key("tests/test_p.py::test_x[a/b.py]") == ("tests.test_p", "test_x[a/b.py]")


# -- workspace -------------------------------------------------------------------------------------------


def test_prepare_workspace_copies_only_public_and_visible_tests(task: Task, tmp_path: Path) -> None:
    ws = prepare_workspace(task, tmp_path / "ws")
    files = sorted(str(p.relative_to(ws)) for p in ws.rglob("*") if p.is_file())
    assert files == ["NOTES.md", "calc.py", "tests/test_calc.py"]
    assert (ws / "calc.py").read_text() == (CALC / "public" / "calc.py").read_text()


def test_collect_edits_reads_edits_and_deletions(task: Task, tmp_path: Path) -> None:
    ws = prepare_workspace(task, tmp_path / "ws")
    (ws / "calc.py").write_text("edited = True\n")
    assert collect_edits(task, ws) == {"calc.py": "edited = True\n"}
    (ws / "calc.py").unlink()
    assert collect_edits(task, ws) == {"calc.py": None}
    outside = tmp_path / "host-secret.txt"
    outside.write_text("secret")
    (ws / "calc.py").symlink_to(outside)
    assert collect_edits(task, ws) == {"calc.py": None}
