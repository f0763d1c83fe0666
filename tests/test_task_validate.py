"""Task self-validation on fixture tasks, and on the real suite under bench_suites/ when there is one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pytest_hybrid_eval.sandbox.base import Sandbox
from pytest_hybrid_eval.sandbox.bwrap import BwrapSandbox
from pytest_hybrid_eval.sandbox.process import ProcessSandbox
from pytest_hybrid_eval.sandbox.select import probe_bwrap
from pytest_hybrid_eval.tasks.model import discover_tasks, load_task
from pytest_hybrid_eval.tasks.validate import validate_suite, validate_task

FIXTURES = Path(__file__).parent / "fixtures" / "tasks"
BENCH = Path(__file__).resolve().parent.parent / "bench_suites"


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    return BwrapSandbox() if probe_bwrap() is None else ProcessSandbox()


def _copy_calc(tmp_path: Path) -> Path:
    dest = tmp_path / "calc"
    shutil.copytree(FIXTURES / "calc", dest)
    return dest


def test_valid_fixture_task_has_no_problems(sandbox: Sandbox) -> None:
    assert validate_task(load_task(FIXTURES / "calc"), sandbox) == []


def test_broken_fixture_task_reports_each_problem(sandbox: Sandbox) -> None:
    problems = validate_task(load_task(FIXTURES / "bad-task"), sandbox)
    assert "editable 'missing.py' is missing from reference/" in problems
    assert any(p.startswith("reference does not pass every test (1/2 passed") for p in problems)
    assert "reference/shout.py is byte-identical to workspace file shout.py" in problems
    assert len(problems) == 3


def test_starting_state_that_passes_is_flagged(tmp_path: Path, sandbox: Sandbox) -> None:
    root = _copy_calc(tmp_path)
    shutil.copy(root / "reference" / "calc.py", root / "public" / "calc.py")
    problems = validate_task(load_task(root), sandbox)
    assert any(p.startswith("starting state already passes every test") for p in problems)


def test_decoy_that_passes_and_leaked_hidden_test_are_flagged(tmp_path: Path, sandbox: Sandbox) -> None:
    root = _copy_calc(tmp_path)
    shutil.copy(root / "reference" / "calc.py", root / "decoy" / "calc.py")
    shutil.copy(root / "hidden" / "test_calc_hidden.py", root / "tests" / "test_calc_hidden_copy.py")
    problems = validate_task(load_task(root), sandbox)
    assert any(p.startswith("decoy passes every test") for p in problems)
    assert "hidden/test_calc_hidden.py is byte-identical to workspace file tests/test_calc_hidden_copy.py" in problems


def test_validate_suite_maps_ids_to_problems(sandbox: Sandbox) -> None:
    result = validate_suite([FIXTURES], sandbox)
    assert set(result) == {"calc", "bad-task"}
    assert result["calc"] == [] and len(result["bad-task"]) == 3


def _bench_tasks() -> list:
    if not BENCH.is_dir():
        return []
    return discover_tasks([BENCH])


@pytest.mark.slow
def test_every_bench_suite_task_is_valid(sandbox: Sandbox) -> None:
    tasks = _bench_tasks()
    if not tasks:
        pytest.skip("no tasks under bench_suites/")
    problems = {t.id: validate_task(t, sandbox) for t in tasks}
    assert {k: v for k, v in problems.items() if v} == {}
