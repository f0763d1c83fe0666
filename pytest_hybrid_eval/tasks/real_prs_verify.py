"""Verifying a real-pull-request instance by running it: its FAIL_TO_PASS and PASS_TO_PASS lists must hold.

Kept apart from ``real_prs`` (which turns instances into task directories) because it is the only part that
runs tests: the reference must pass every listed test, and FAIL_TO_PASS must fail at the base commit.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from pathlib import Path

from pytest_hybrid_eval.errors import TaskError
from pytest_hybrid_eval.sandbox.base import Limits, Sandbox
from pytest_hybrid_eval.scoring.junit import junit_key, parse_junit
from pytest_hybrid_eval.scoring.pytest_scorer import build_tree
from pytest_hybrid_eval.scoring.tree import GUARD_DIR, HIDDEN_DIR, TESTS_DIR
from pytest_hybrid_eval.tasks.model import Task
from pytest_hybrid_eval.tasks.real_prs import Instance


def scored_nodeid(instance: Instance, nodeid: str) -> str:
    """Where a repository node id runs in the scoring tree (``tests/…`` or ``hidden_tests/…``)."""
    path, sep, rest = nodeid.partition("::")
    prefix = instance.test_dir.rstrip("/") + "/"
    if not path.startswith(prefix):
        raise TaskError(f"{instance.instance_id}: test id {nodeid!r} is outside {prefix}")
    touched = _touched_tests(instance)
    top = HIDDEN_DIR if path in touched else TESTS_DIR
    return f"{top}/{path[len(prefix):]}{sep}{rest}"


def _touched_tests(instance: Instance) -> set[str]:
    return set(re.findall(r"^\+\+\+ b/(\S+)$", instance.test_patch, flags=re.M))


def _outcomes(task: Task, files: dict[str, str | None], sandbox: Sandbox) -> dict[tuple[str, str], bool]:
    """JUnit outcomes of every test in the scoring tree for the given editable files."""
    with tempfile.TemporaryDirectory(prefix="hybrid-realpr-verify-") as tmp:
        tree = Path(tmp) / "tree"
        build_tree(task, files, tree)
        report = tree / GUARD_DIR / "verify-report.xml"  # inside the tree: the only place a sandbox may write
        argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--import-mode=importlib",
                f"--junitxml={report}", *(d for d in (TESTS_DIR, HIDDEN_DIR) if (tree / d).is_dir())]  # fmt: skip
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tree), "LANG": "C.UTF-8",
               "PYTHONDONTWRITEBYTECODE": "1", "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}  # fmt: skip
        res = sandbox.run(argv, tree, Limits(wall_s=task.test_timeout_s), env=env)
        if not report.is_file():
            raise TaskError(f"{task.id}: tests produced no report (exit {res.exit_code}): {res.output_tail[-300:]}")
        return parse_junit(report).outcomes


def verify_instance(task: Task, instance: Instance, sandbox: Sandbox) -> list[str]:
    """Problems (empty = none): FAIL_TO_PASS/PASS_TO_PASS must pass at the reference, FAIL_TO_PASS fail at base."""
    problems: list[str] = []
    reference = {rel: (task.reference_dir / rel).read_text(encoding="utf-8") for rel in task.editable
                 if (task.reference_dir / rel).is_file()}  # fmt: skip
    at_ref = _outcomes(task, reference, sandbox)
    at_base = _outcomes(task, {}, sandbox)
    for kind, ids in (("FAIL_TO_PASS", instance.fail_to_pass), ("PASS_TO_PASS", instance.pass_to_pass)):
        for nodeid in ids:
            key = junit_key(scored_nodeid(instance, nodeid))
            if key not in at_ref:
                problems.append(f"{kind} {nodeid} does not exist in the materialized tests")
            elif not at_ref[key]:
                problems.append(f"{kind} {nodeid} does not pass at the reference")
            if kind == "FAIL_TO_PASS" and at_base.get(key, False):
                problems.append(f"FAIL_TO_PASS {nodeid} already passes at the base commit")
    return problems
