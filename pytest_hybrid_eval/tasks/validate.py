"""Self-validation of tasks: a task that cannot tell a right solution from a wrong one measures nothing.

``load_task`` has already checked the schema; here we check behaviour, by scoring for real in the given
sandbox: the reference passes every test, the starting state fails at least one, the decoy (if any)
fails at least one. And we check the secrecy the benchmark depends on: no file of ``reference/`` or
``hidden/`` reaches the agent's workspace byte for byte (an empty file reveals nothing and is exempt).
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

from pytest_hybrid_eval.errors import HybridEvalError
from pytest_hybrid_eval.rubric import validate_rubric_task
from pytest_hybrid_eval.sandbox.base import Sandbox
from pytest_hybrid_eval.scoring.base import ScoreContext, ScoreResult
from pytest_hybrid_eval.scoring.registry import score, scorer_name
from pytest_hybrid_eval.scoring.tree import PROTECTED_NAMES, TESTS_DIR
from pytest_hybrid_eval.tasks.model import Task, discover_tasks
from pytest_hybrid_eval.workspace import prepare_workspace


def _digests(root: Path) -> dict[str, Path]:
    out: dict[str, Path] = {}
    for p in sorted(root.rglob("*")):
        if p.is_file() and not p.is_symlink() and "__pycache__" not in p.parts:
            data = p.read_bytes()
            if data.strip():
                out.setdefault(hashlib.sha256(data).hexdigest(), p)
    return out


def _describe(r: ScoreResult) -> str:
    return f"{r.tests_passed}/{r.tests_total} passed" + (f"; {r.reason}" if r.reason else "")


def _leaks(task: Task) -> list[str]:
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="hybrid-validate-") as tmp:
        try:
            workspace = prepare_workspace(task, Path(tmp) / "ws")
        except HybridEvalError as exc:
            return [f"workspace cannot be prepared: {exc}"]
        given = _digests(workspace)
        for secret_dir in (task.reference_dir, task.hidden_dir):
            if not secret_dir.is_dir():
                continue
            for digest, path in _digests(secret_dir).items():
                if digest in given:
                    shown = given[digest].relative_to(workspace)
                    problems.append(f"{path.relative_to(task.root)} is byte-identical to workspace file {shown}")
    return problems


def validate_task(task: Task, sandbox: Sandbox) -> list[str]:
    """Problems with one task (empty list = valid), each a sentence naming what to fix."""
    if scorer_name(task) == "rubric":  # no tests to run: check the rubric's verdicts and the secrecy of hidden/
        return validate_rubric_task(task) + _leaks(task)
    ctx = ScoreContext(sandbox=sandbox, timeout_s=task.test_timeout_s)
    problems: list[str] = []
    for rel in task.editable:
        if Path(rel).name in PROTECTED_NAMES or Path(rel).parts[0] == TESTS_DIR:
            problems.append(f"editable {rel!r} is a test or pytest config path; the scorer never takes it from a candidate")
    if not task.reference_dir.is_dir():
        problems.append("no reference/ directory; add the solution so the suite can check itself")
    else:
        missing = [rel for rel in task.editable if not (task.reference_dir / rel).is_file()]
        problems += [f"editable {rel!r} is missing from reference/" for rel in missing]
        reference = {rel: (task.reference_dir / rel).read_text(encoding="utf-8")
                     for rel in task.editable if rel not in missing}  # fmt: skip
        r = score(task, reference, ctx)
        if r.error or not r.passed:
            problems.append(f"reference does not pass every test ({_describe(r)})")
    start = score(task, {}, ctx)
    if start.error:
        problems.append(f"starting state could not be scored ({_describe(start)})")
    elif start.passed:
        problems.append(f"starting state already passes every test ({_describe(start)}); the task tests nothing")
    decoy = task.decoy_files()
    if decoy is not None:
        r = score(task, dict(decoy), ctx)
        if r.error:
            problems.append(f"decoy could not be scored ({_describe(r)})")
        elif r.passed:
            problems.append(f"decoy passes every test ({_describe(r)}); it must be wrong in a way the tests catch")
    problems += _leaks(task)
    return problems


def validate_suite(roots: list[Path | str], sandbox: Sandbox) -> dict[str, list[str]]:
    """task id -> problems, for every task under ``roots``."""
    return {task.id: validate_task(task, sandbox) for task in discover_tasks(list(roots))}
