"""Scoring: a clean tree, the task's tests run in a sandbox, and a verdict that a candidate cannot forge cheaply.

The tree is built from trusted parts only: a copy of ``public/``, the candidate's versions of the files
listed in ``editable`` (nothing else is taken; paths that escape the tree or land among the tests are
rejected), the pristine visible tests as ``tests/`` and the hidden tests as ``hidden_tests/``. pytest runs
inside the sandbox with a fixed, secret-free environment and without plugin autoload.

Why the verdict is hard to forge. The candidate's code runs *in the same process* as the tests, so no
in-process mechanism can be made unforgeable; we stack defences that each close a realistic cheat:

1. Tests and configuration cannot be edited: only ``editable`` paths are overlaid, and never one under
   ``tests/``/``hidden_tests/`` or a pytest configuration file (conftest.py, pytest.ini, tox.ini,
   setup.cfg, pyproject.toml). The tree is writable while the tests run, so a candidate could rewrite a
   test file before pytest imports it: the guard snapshots the test files before any candidate import
   and compares after collection and at the end, and the scorer compares digests after the run.
2. The set of expected tests is known independently: a separate ``--collect-only`` run on a tree holding
   the *reference* solution (trusted code, never the candidate) records every node id, cached per task.
   The candidate's JUnit report must contain exactly those ids; missing ids count as failures and any
   extra or duplicated id marks the report as forged. This defeats deleting/skipping tests, a fake report
   written before an early ``os._exit``, and collection tricks.
3. The pass requires agreement of three signals: every expected test passed in the report, and pytest
   exited 0.
4. A small guard plugin (loaded with ``-p`` before any candidate import) snapshots pytest's execution and
   reporting functions and the registered plugins; if a candidate replaces one (``Function.runtest =
   lambda self: None``, a hook wrapper that rewrites outcomes...) the guard ends the run with exit code 86
   before the report is written, which scores as a fail.

Residual risk, stated plainly: code written specifically to defeat the guard itself (e.g. patching it
first, or forging a report with ids read from the hidden tests on disk and exiting 0) is not prevented;
preventing it would need the assertions to run outside the candidate's process, which pytest-style unit
tests cannot do. Such code would also be plainly visible in the agent's diff.

Errors: a failure caused by the candidate (syntax error, import error, timeout, memory) is a plain FAIL
with a reason; only infrastructure problems (the sandbox did not start, pytest missing, a task whose
reference cannot be collected) are ``error="score_error"``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Literal

from pytest_hybrid_eval.errors import HybridEvalError
from pytest_hybrid_eval.sandbox.base import Limits, Sandbox, SandboxResult
from pytest_hybrid_eval.tasks.model import Task
from pytest_hybrid_eval.workspace import copy_public_tree

TESTS_DIR = "tests"
HIDDEN_DIR = "hidden_tests"
GUARD_DIR = ".hybrid_guard"
GUARD_MODULE = "_hybrid_guard"
GUARD_EXIT = 86
REPORT_NAME = "report.xml"
PROTECTED_NAMES = frozenset({"conftest.py", "pytest.ini", "tox.ini", "setup.cfg", "pyproject.toml",
                             "sitecustomize.py", "usercustomize.py"})  # fmt: skip

GUARD_SOURCE = '''"""Written by pytest_hybrid_eval.scoring: detects candidate code that rewires pytest (see its docstring)."""
import json
import os

import pytest
import _pytest.junitxml
import _pytest.python
import _pytest.reports
import _pytest.runner

_WATCH = [
    (_pytest.python.Function, "runtest"),
    (_pytest.python, "pytest_pyfunc_call"),
    (_pytest.runner, "call_and_report"),
    (_pytest.runner, "runtestprotocol"),
    (_pytest.runner, "call_runtest_hook"),
    (_pytest.runner, "pytest_runtest_makereport"),
    (_pytest.runner.CallInfo, "from_call"),
    (_pytest.reports.TestReport, "from_item_and_call"),
    (_pytest.reports.TestReport, "__init__"),
    (_pytest.reports.BaseReport, "passed"),
    (_pytest.reports.BaseReport, "failed"),
    (_pytest.reports.BaseReport, "skipped"),
    (_pytest.junitxml.LogXML, "pytest_runtest_logreport"),
    (_pytest.junitxml.LogXML, "pytest_sessionfinish"),
    (_pytest.junitxml.LogXML, "finalize"),
    (_pytest.junitxml._NodeReporter, "to_xml"),
    (_pytest.junitxml._NodeReporter, "append_pass"),
    (_pytest.junitxml._NodeReporter, "append_failure"),
]


def _get(owner, name):
    return vars(owner).get(name) if isinstance(owner, type) else getattr(owner, name, None)


_SNAPSHOT = [(owner, name, _get(owner, name)) for owner, name in _WATCH]


def _test_files():
    files = {}
    for top in ("__TESTS_DIR__", "__HIDDEN_DIR__"):
        for root, dirs, names in os.walk(top):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in names:
                path = os.path.join(root, name)
                with open(path, "rb") as fh:
                    files[path] = fh.read()
    return files


_TESTS = _test_files()  # loaded with -p, i.e. before any candidate code is imported
_state = {"plugins": None, "config": None}


def _die(why):
    os.write(2, ("\\nHYBRID-GUARD: " + why + "\\n").encode())
    os._exit(__GUARD_EXIT__)


def _check_tests():
    try:
        same = _test_files() == _TESTS
    except OSError:
        same = False
    if not same:
        _die("the test files were changed during the run")


def _check():
    for owner, name, value in _SNAPSHOT:
        if _get(owner, name) is not value:
            _die("pytest internals replaced: " + getattr(owner, "__name__", "?") + "." + name)
    known = _state["plugins"]
    config = _state["config"]
    if known is None or config is None:
        return
    for plugin in config.pluginmanager.get_plugins():
        if id(plugin) in known:
            continue
        source = getattr(plugin, "__file__", "") or ""
        if os.path.basename(source) == "conftest.py":
            continue  # conftest files come from the task (candidates may not write them)
        _die("plugin registered at run time: " + repr(plugin)[:120])


def pytest_configure(config):
    _state["config"] = config


@pytest.hookimpl(tryfirst=True)
def pytest_collection(session):
    _state["plugins"] = {id(p) for p in session.config.pluginmanager.get_plugins()}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_finish(session):
    _check()
    _check_tests()
    out = os.environ.get("HYBRID_COLLECT_OUT")
    if out:
        with open(out, "w", encoding="utf-8") as fh:
            json.dump([item.nodeid for item in session.items], fh)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_logreport(report):
    _check()


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session):
    _check()
    _check_tests()
'''
for _key, _value in (("__GUARD_EXIT__", str(GUARD_EXIT)), ("__TESTS_DIR__", TESTS_DIR), ("__HIDDEN_DIR__", HIDDEN_DIR)):
    GUARD_SOURCE = GUARD_SOURCE.replace(_key, _value)


@dataclass(frozen=True)
class ScoreResult:
    """The scorer's verdict for one candidate; ``error`` is set only for infrastructure failures."""

    passed: bool
    tests_passed: int
    tests_total: int
    error: Literal["score_error"] | None
    reason: str | None
    duration_s: float
    sandbox_kind: str
    isolated: bool = False
    limit_hit: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)


class ScoreInfraError(Exception):
    """Scoring could not be carried out for reasons that are not the candidate's fault."""


# -- building the tree ---------------------------------------------------------------------------------


def _safe_target(tree: Path, rel: str) -> Path | None:
    """The overlay destination of an editable path, or None if it must be rejected."""
    pure = PurePosixPath(rel)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts:
        return None
    if pure.parts[0] in (TESTS_DIR, HIDDEN_DIR, GUARD_DIR) or pure.name in PROTECTED_NAMES:
        return None
    target = (tree / rel).resolve()
    root = tree.resolve()
    if root not in target.parents:
        return None
    return target


def build_tree(task: Task, files: dict[str, str | None], tree: Path) -> list[str]:
    """Assemble the scoring tree in ``tree``; return notes on candidate paths that were ignored."""
    notes: list[str] = []
    tree.mkdir(parents=True, exist_ok=True)
    copy_public_tree(task.public_dir, tree)
    for name in (TESTS_DIR, HIDDEN_DIR, GUARD_DIR):
        if (tree / name).exists():
            shutil.rmtree(tree / name)
    editable = set(task.editable)
    for rel in sorted(files):
        if rel not in editable:
            notes.append(f"ignored {rel!r}: not an editable file of the task")
    for rel in task.editable:
        content = files.get(rel)
        if content is None:
            continue  # missing/deleted: the public version (if any) stays
        target = _safe_target(tree, rel)
        if target is None:
            notes.append(f"ignored {rel!r}: outside the tree, among the tests, or a pytest config file")
            continue
        if target.is_symlink() or target.is_dir():
            notes.append(f"ignored {rel!r}: target is a link or a directory")
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")
    copy_public_tree(task.tests_dir, tree / TESTS_DIR)
    copy_public_tree(task.hidden_dir, tree / HIDDEN_DIR)
    guard = tree / GUARD_DIR
    guard.mkdir()
    (guard / f"{GUARD_MODULE}.py").write_text(GUARD_SOURCE, encoding="utf-8")
    return notes


def _tests_digest(tree: Path) -> str:
    """A digest of every file under the test directories (the tree is writable by the candidate)."""
    h = hashlib.sha256()
    for name in (TESTS_DIR, HIDDEN_DIR):
        base = tree / name
        for p in sorted(base.rglob("*")) if base.is_dir() else []:
            if "__pycache__" in p.parts or p.is_dir():
                continue
            h.update(str(p.relative_to(tree)).encode() + b"\0")
            h.update(p.read_bytes() if p.is_file() and not p.is_symlink() else b"<not a regular file>")
    return h.hexdigest()


def _test_dirs(tree: Path) -> list[str]:
    return [d for d in (TESTS_DIR, HIDDEN_DIR) if (tree / d).is_dir()]


def _env(tree: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "HOME": str(tree),
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
        "PYTHONHASHSEED": "0",
        "PYTHONPATH": str(tree / GUARD_DIR),
    }


def _pytest_argv(tree: Path, extra: list[str]) -> list[str]:
    return [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", GUARD_MODULE,
            "--import-mode=importlib", "--tb=short", *extra, *_test_dirs(tree)]  # fmt: skip


def _infra_problem(res: SandboxResult) -> str | None:
    """A reason when the run failed before pytest could judge anything (not the candidate's fault)."""
    out = res.output_tail
    if res.exit_code == 1 and out.lstrip().startswith("bwrap:"):
        return f"sandbox did not start: {out.strip().splitlines()[0]}"
    if "No module named pytest" in out:
        return "pytest is not importable by the scoring interpreter"
    if res.exit_code == 4 and res.limit_hit is None:
        return f"pytest usage error: {_last_line(out)}"
    return None


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1][:300] if lines else ""


# -- expected test ids (from the reference solution) ---------------------------------------------------


def junit_key(nodeid: str) -> tuple[str, str]:
    """(classname, name) under which pytest's JUnit writer records a node id."""
    path, bracket, params = nodeid.partition("[")
    names = path.split("::")
    names[0] = re.sub(r"\.py$", "", names[0].replace("/", "."))
    names[-1] += bracket + params
    return ".".join(names[:-1]), names[-1]


def _task_digest(task: Task) -> str:
    h = hashlib.sha256(str(task.root).encode())
    for base in (task.public_dir, task.tests_dir, task.hidden_dir, task.reference_dir):
        if not base.is_dir():
            continue
        for p in sorted(base.rglob("*")):
            if p.is_file() and "__pycache__" not in p.parts:
                h.update(str(p.relative_to(task.root)).encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


_EXPECTED: dict[str, list[str]] = {}
_EXPECTED_LOCK = threading.Lock()


def expected_nodeids(task: Task, sandbox: Sandbox, limits: Limits) -> list[str] | None:
    """Node ids collected with the reference solution in place; None if the task has no reference."""
    if not task.reference_dir.is_dir():
        return None
    key = _task_digest(task)
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
        env = {**_env(tree), "HYBRID_COLLECT_OUT": str(out)}
        res = sandbox.run(_pytest_argv(tree, ["--collect-only"]), tree, limits, env=env)
        if not out.is_file():
            why = _infra_problem(res) or f"exit {res.exit_code}, {res.limit_hit or 'no limit hit'}: {_last_line(res.output_tail)}"
            raise ScoreInfraError(f"collecting the reference solution of {task.id} failed ({why})")
        ids = json.loads(out.read_text(encoding="utf-8"))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    with _EXPECTED_LOCK:
        _EXPECTED[key] = ids
    return ids


# -- the JUnit report ----------------------------------------------------------------------------------


@dataclass
class Report:
    outcomes: dict[tuple[str, str], bool]  # (classname, name) -> passed
    duplicates: int
    collection_errors: list[str]


def parse_junit(path: Path) -> Report:
    """Outcomes per test case from a JUnit XML file (raises ET.ParseError / OSError when unreadable)."""
    root = ET.parse(path).getroot()
    outcomes: dict[tuple[str, str], bool] = {}
    duplicates = 0
    errors: list[str] = []
    for case in root.iter("testcase"):
        key = (case.get("classname", ""), case.get("name", ""))
        bad = [child for child in case if child.tag in ("failure", "error", "skipped")]
        for child in bad:
            if child.tag == "error" and (child.get("message") or "").startswith("collection failure"):
                detail = [ln for ln in (child.text or "").splitlines() if ln.startswith("E ")]
                errors.append(f"{key[1] or key[0]}: {detail[-1][1:].strip() if detail else 'collection failure'}")
        if key in outcomes:
            duplicates += 1
        outcomes[key] = not bad and outcomes.get(key, True)
    return Report(outcomes, duplicates, errors)


# -- scoring -------------------------------------------------------------------------------------------


def score(
    task: Task,
    candidate_files: dict[str, str | None],
    sandbox: Sandbox,
    timeout_s: float,
    limits: Limits | None = None,
) -> ScoreResult:
    """Score one candidate (editable path -> content, None = keep the public version); see module doc."""
    if task.scorer == "rubric":  # a review is text matched against hidden/rubric.yaml; nothing runs
        from pytest_hybrid_eval.rubric import score_task  # lazy: rubric imports ScoreResult from here

        return score_task(task, candidate_files, sandbox.kind)
    start = time.monotonic()
    base = limits or Limits()
    run_limits = dataclasses.replace(base, wall_s=timeout_s)
    kind, isolated = sandbox.kind, sandbox.isolated

    def result(passed: bool, n_pass: int, total: int, reason: str | None, error: bool = False,
               hit: str | None = None, notes: list[str] | None = None) -> ScoreResult:  # fmt: skip
        return ScoreResult(passed, n_pass, total, "score_error" if error else None, reason,
                           time.monotonic() - start, kind, isolated, hit, tuple(notes or ()))  # fmt: skip

    try:
        expected = expected_nodeids(task, sandbox, Limits(**{**run_limits.__dict__, "wall_s": max(30.0, timeout_s)}))
    except (ScoreInfraError, HybridEvalError, OSError) as exc:
        return result(False, 0, 0, str(exc), error=True)
    expected_keys = [junit_key(n) for n in expected] if expected is not None else None
    root = Path(tempfile.mkdtemp(prefix="hybrid-score-"))
    try:
        tree = root / "tree"
        notes = build_tree(task, candidate_files, tree)
        report_path = tree / GUARD_DIR / REPORT_NAME
        tests_before = _tests_digest(tree)
        try:
            res = sandbox.run(_pytest_argv(tree, [f"--junitxml={report_path}"]), tree, run_limits, env=_env(tree))
        except OSError as exc:
            return result(False, 0, len(expected or []), f"sandbox could not run pytest: {exc}", error=True, notes=notes)
        if _tests_digest(tree) != tests_before:
            # the tests ran from a writable tree; a candidate that rewrote them is judged on nothing
            return result(False, 0, len(expected or []), "the test files were changed during the run",
                          hit=res.limit_hit, notes=notes)  # fmt: skip
        return _verdict(res, report_path, expected_keys, timeout_s, result, notes)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _verdict(res: SandboxResult, report_path: Path, expected: list[tuple[str, str]] | None,
             timeout_s: float, result, notes: list[str]) -> ScoreResult:  # fmt: skip
    """Combine the sandbox result, the report and the expected ids into a ScoreResult."""
    total_expected = len(expected) if expected is not None else 0
    infra = _infra_problem(res)
    if infra:
        return result(False, 0, total_expected, infra, error=True, hit=res.limit_hit, notes=notes)
    if res.limit_hit == "wall":
        return result(False, 0, total_expected, f"timeout: the tests did not finish within {timeout_s:g}s",
                      hit="wall", notes=notes)  # fmt: skip
    if res.exit_code == GUARD_EXIT and "HYBRID-GUARD:" in res.output_tail:
        why = res.output_tail.split("HYBRID-GUARD:", 1)[1].strip().splitlines()[0]
        return result(False, 0, total_expected, f"tampering with pytest detected: {why}", hit=res.limit_hit, notes=notes)
    try:
        report = parse_junit(report_path)
    except (OSError, ET.ParseError) as exc:
        limit = f" ({res.limit_hit} limit hit)" if res.limit_hit else ""
        what = "no test report" if isinstance(exc, OSError) else "unreadable test report"
        return result(False, 0, total_expected,
                      f"{what}: pytest exited with code {res.exit_code}{limit}: {_last_line(res.output_tail)}",
                      hit=res.limit_hit, notes=notes)  # fmt: skip
    if expected is None:
        keys = [k for k in report.outcomes if not any(k[1] in e or k[0] in e for e in report.collection_errors)]
        unexpected: list[tuple[str, str]] = []
    else:
        keys = expected
        allowed = set(expected)
        # a collection failure is recorded as a pseudo test case named after the file; not a forgery
        unexpected = [k for k, ok in report.outcomes.items() if k not in allowed and ok]
    n_pass = sum(1 for k in keys if report.outcomes.get(k, False))
    total = len(keys)
    reason: str | None = None
    if report.collection_errors:
        reason = "collection error (the candidate's code could not be imported): " + "; ".join(report.collection_errors[:3])
    elif unexpected or report.duplicates:
        reason = f"report does not match the expected tests ({len(unexpected)} unknown, {report.duplicates} duplicated ids)"
    elif total == 0:
        reason = "no tests were collected"
    elif n_pass < total:
        reason = f"{total - n_pass} of {total} tests did not pass"
        if res.limit_hit:
            reason += f" ({res.limit_hit} limit hit)"
    elif res.exit_code != 0:
        reason = f"pytest exited with code {res.exit_code} although every expected test passed"
    passed = reason is None
    return result(passed, n_pass if not (unexpected or report.duplicates) else 0, total, reason,
                  hit=res.limit_hit, notes=notes)  # fmt: skip
