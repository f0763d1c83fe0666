"""The ``pytest`` scorer: for tests that must run in the candidate's process (real repositories' suites).

Values that can be compared outside the candidate's process belong to the ``cases`` scorer; this one is
for what cannot be expressed as data. Its verdict is computed from a report written inside the
candidate's process, so it is defended in layers, and a pass needs every layer to agree:

1. The tree is built from trusted parts (``tree``); bytecode caches are removed and Python neither
   writes nor reads them (``-B`` and a cache prefix that cannot exist), so no compiled file stands in
   for a test.
2. A guard plugin (``guardplugin``), loaded before any candidate import, ends the run (exit 86) when
   pytest, pluggy, builtins, ``sys.modules``, import hooks, signal handlers or a test file change, or a
   plugin other than a pristine conftest registers.
3. Canary tests (``canaries``): mutant clones of the real tests, appended to their own modules, with the
   asserted expected values replaced by unguessable ones, plus a fixed canary module per test directory;
   one that passes, or is missing, makes the cell ``forged``.
4. The set of tests is known independently: a collect-only run with the *reference* solution in place
   (trusted code) lists every node id; the report must contain exactly those plus the canaries.
5. The exit status must agree with the report: canaries fail, so a faithful run exits 1; exit 0 (an
   ``os._exit(0)`` after a fake report) is a forgery.
6. Digests of every file under the test directories (caches included) before and after the run.

Errors: a failure caused by the candidate (syntax error, import error, timeout, memory, a missing pytest
or a usage error once the reference collected fine) is a plain FAIL with a reason; ``score_error`` is
only for what the candidate cannot fake: the sandbox reporting (on a channel the command never sees)
that it did not start, or the reference's own collect-only failing. Tampering is ``forged``.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import ClassVar

from pytest_hybrid_eval.errors import HybridEvalError
from pytest_hybrid_eval.sandbox.base import Limits, Sandbox, SandboxResult
from pytest_hybrid_eval.scoring import canaries as canary_mod
from pytest_hybrid_eval.scoring import guardplugin
from pytest_hybrid_eval.scoring.base import (
    ScoreContext,
    ScoreErrorKind,
    ScoreInfraError,
    ScoreResult,
    last_line,
)
from pytest_hybrid_eval.scoring.junit import junit_key, parse_junit
from pytest_hybrid_eval.scoring.tree import (
    GUARD_DIR,
    HIDDEN_DIR,
    TESTS_DIR,
    overlay_candidate,
    purge_bytecode,
    task_digest,
    tree_digest,
)
from pytest_hybrid_eval.tasks.model import Task
from pytest_hybrid_eval.workspace import copy_public_tree

GUARD_MODULE = "_hybrid_guard"
GUARD_EXIT = guardplugin.GUARD_EXIT
REPORT_NAME = "report.xml"
#: a bytecode cache location that no process can create: imports always compile from source
NO_PYCACHE = "/proc/self/hybrid-no-pycache"


def build_tree(task: Task, files: dict[str, str | None], tree: Path) -> list[str]:
    """The candidate's tree plus pristine visible and hidden tests and the guard; return overlay notes."""
    notes = overlay_candidate(task, files, tree)
    copy_public_tree(task.tests_dir, tree / TESTS_DIR)
    copy_public_tree(task.hidden_dir, tree / HIDDEN_DIR)
    guard = tree / GUARD_DIR
    guard.mkdir()
    shutil.copyfile(guardplugin.__file__, guard / f"{GUARD_MODULE}.py")
    purge_bytecode(tree)
    return notes


def test_dirs(tree: Path) -> list[str]:
    return [d for d in (TESTS_DIR, HIDDEN_DIR) if (tree / d).is_dir()]


def pytest_env(tree: Path) -> dict[str, str]:
    """The whole environment of a scoring run: fixed, secret-free, no plugin autoload, no bytecode."""
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(tree), "LANG": "C.UTF-8",
            "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPYCACHEPREFIX": NO_PYCACHE,
            "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTHONHASHSEED": "0",
            "PYTHONPATH": str(tree / GUARD_DIR)}  # fmt: skip


def pytest_argv(tree: Path, extra: list[str]) -> list[str]:
    return [sys.executable, "-B", "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", GUARD_MODULE,
            "--import-mode=importlib", "--tb=short", *extra, *test_dirs(tree)]  # fmt: skip


def did_not_start(res: SandboxResult) -> str | None:
    """A reason when the sandbox itself failed to start the command, as the sandbox (not the output) says.

    bubblewrap reports on a status pipe that the command never sees whether the command ran and exited
    (``extra["started"]``); text on the output pipe is the candidate's to write and decides nothing.
    """
    if res.extra.get("started") != "false" or res.limit_hit is not None:
        return None
    lines = [ln.strip() for ln in res.output_tail.splitlines() if ln.strip()]
    said = next((ln for ln in lines if ln.startswith("bwrap:")), lines[-1] if lines else "no output")
    return f"sandbox did not start: {said[:300]}"


def _collect_problem(res: SandboxResult) -> str:
    """Why the collect-only of the *reference* (trusted code) produced no list: always the harness's problem."""
    if started := did_not_start(res):
        return started
    out = res.output_tail
    if "No module named pytest" in out:
        return "pytest is not importable by the scoring interpreter"
    if res.exit_code == 4 and res.limit_hit is None:
        return f"pytest usage error: {last_line(out)}"
    return f"exit {res.exit_code}, {res.limit_hit or 'no limit hit'}: {last_line(out)}"


_EXPECTED: dict[str, list[str]] = {}
_EXPECTED_LOCK = threading.Lock()


def expected_nodeids(task: Task, sandbox: Sandbox, limits: Limits) -> list[str] | None:
    """Node ids collected with the reference solution in place; None if the task has no reference."""
    if not task.reference_dir.is_dir():
        return None
    key = task_digest(task)
    with _EXPECTED_LOCK:
        if key in _EXPECTED:
            return _EXPECTED[key]
    root = Path(tempfile.mkdtemp(prefix="hybrid-collect-"))
    try:
        tree = root / "tree"
        reference = {rel: (task.reference_dir / rel).read_text(encoding="utf-8")
                     for rel in task.editable if (task.reference_dir / rel).is_file()}  # fmt: skip
        build_tree(task, reference, tree)
        out = tree / GUARD_DIR / "collected.json"
        env = {**pytest_env(tree), "HYBRID_COLLECT_OUT": str(out)}
        res = sandbox.run(pytest_argv(tree, ["--collect-only"]), tree, limits, env=env)
        if not out.is_file():
            why = _collect_problem(res)
            raise ScoreInfraError(f"collecting the reference solution of {task.id} failed ({why})")
        ids = json.loads(out.read_text(encoding="utf-8"))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    with _EXPECTED_LOCK:
        _EXPECTED[key] = ids
    return ids


class PytestScorer:
    """In-process pytest with a guard, canaries and agreement checks; see the module docstring."""

    name: ClassVar[str] = "pytest"

    def score(self, task: Task, files: dict[str, str | None], ctx: ScoreContext) -> ScoreResult:
        start = time.monotonic()
        sandbox = ctx.require_sandbox()
        run_limits = dataclasses.replace(ctx.limits or Limits(), wall_s=ctx.timeout_s)

        def result(passed: bool, n_pass: int, total: int, reason: str | None, error: ScoreErrorKind | None = None,
                   hit: str | None = None, notes: list[str] | None = None) -> ScoreResult:  # fmt: skip
            return ScoreResult(passed, n_pass, total, error, reason, time.monotonic() - start, sandbox.kind,
                               sandbox.isolated, hit, tuple(notes or ()), self.name)  # fmt: skip

        try:
            expected = expected_nodeids(task, sandbox, dataclasses.replace(run_limits, wall_s=max(30.0, ctx.timeout_s)))
        except (ScoreInfraError, HybridEvalError, OSError) as exc:
            return result(False, 0, 0, str(exc), error="score_error")
        root = Path(tempfile.mkdtemp(prefix="hybrid-score-"))
        try:
            tree = root / "tree"
            notes = build_tree(task, files, tree)
            canaries = canary_mod.plant(tree, test_dirs(tree), expected)
            report_path = tree / GUARD_DIR / REPORT_NAME
            tests_before = tree_digest(tree, (TESTS_DIR, HIDDEN_DIR))
            try:
                res = sandbox.run(pytest_argv(tree, [f"--junitxml={report_path}"]), tree, run_limits, env=pytest_env(tree))
            except OSError as exc:
                return result(False, 0, len(expected or []), f"sandbox could not run pytest: {exc}", "score_error",
                              notes=notes)  # fmt: skip
            total = len(expected or [])
            if tree_digest(tree, (TESTS_DIR, HIDDEN_DIR)) != tests_before:
                return result(False, 0, total, "forged: the test files (or their bytecode caches) were changed "
                              "during the run", "forged", res.limit_hit, notes)  # fmt: skip
            return self._verdict(res, report_path, expected, canaries, ctx.timeout_s, result, notes)
        finally:
            shutil.rmtree(root, ignore_errors=True)

    @staticmethod
    def _verdict(res: SandboxResult, report_path: Path, expected: list[str] | None, canaries: canary_mod.Canaries,
                 timeout_s: float, result, notes: list[str]) -> ScoreResult:  # fmt: skip
        total = len(expected) if expected is not None else 0
        # only the sandbox's own word makes this an infrastructure error: a missing pytest or a usage error
        # (exit 4) after the reference's collect-only succeeded in the same sandbox is the candidate's doing
        if infra := did_not_start(res):
            return result(False, 0, total, infra, "score_error", res.limit_hit, notes)
        if res.limit_hit == "wall":
            return result(False, 0, total, f"timeout: the tests did not finish within {timeout_s:g}s", None, "wall", notes)
        if res.exit_code == GUARD_EXIT and "HYBRID-GUARD:" in res.output_tail:
            why = res.output_tail.split("HYBRID-GUARD:", 1)[1].strip().splitlines()[0]
            return result(False, 0, total, f"tampering with pytest detected: {why}", None, res.limit_hit, notes)
        try:
            report = parse_junit(report_path)
        except (OSError, ET.ParseError) as exc:
            limit = f" ({res.limit_hit} limit hit)" if res.limit_hit else ""
            what = "no test report" if isinstance(exc, OSError) else "unreadable test report"
            return result(False, 0, total, f"{what}: pytest exited with code {res.exit_code}{limit}: "
                          f"{last_line(res.output_tail)}", None, res.limit_hit, notes)  # fmt: skip
        if report.collection_errors:  # pytest stopped before running anything, canaries included: a plain fail
            return result(False, 0, total, "collection error (the candidate's code could not be imported): "
                          + "; ".join(report.collection_errors[:3]), None, res.limit_hit, notes)  # fmt: skip
        if (forged := canaries.verdict(report)) is not None:
            return result(False, 0, total, f"forged: {forged}", "forged", res.limit_hit, notes)
        if res.exit_code == 0:
            return result(False, 0, total, "forged: pytest exited 0 although the canary tests failed",
                          "forged", res.limit_hit, notes)  # fmt: skip
        outcomes = {k: v for k, v in report.outcomes.items() if not canaries.is_canary(k)}
        if expected is None:
            keys = list(outcomes)
            unexpected: list[tuple[str, str]] = []
        else:
            keys = [junit_key(n) for n in expected]
            allowed = set(keys)
            # a collection failure is recorded as a pseudo test case named after the file; not a forgery
            unexpected = [k for k, ok in outcomes.items() if k not in allowed and ok]
        n_pass = sum(1 for k in keys if outcomes.get(k, False))
        total = len(keys)
        reason: str | None = None
        if unexpected or report.duplicates:
            return result(False, 0, total, f"forged: the report does not match the expected tests ({len(unexpected)} "
                          f"unknown, {report.duplicates} duplicated ids)", "forged", res.limit_hit, notes)  # fmt: skip
        elif total == 0:
            reason = "no tests were collected"
        elif n_pass < total:
            reason = f"{total - n_pass} of {total} tests did not pass"
            if res.limit_hit:
                reason += f" ({res.limit_hit} limit hit)"
        elif res.exit_code != 1:
            reason = f"pytest exited with code {res.exit_code}; a complete run with failing canaries exits 1"
        return result(reason is None, n_pass, total, reason, None, res.limit_hit, notes)
