"""Running a candidate's tests for the miner: outcomes per repository node id, repeated, flaky ones dropped.

Why not the ``pytest`` scorer: it answers pass/fail for a whole tree, and the miner needs each test's
outcome to derive FAIL_TO_PASS and PASS_TO_PASS. The tree is built the scorer's way (``build_tree``:
trusted parts, the candidate's files overlaid) and run in the same sandbox without network, so what the
miner sees is what scoring will see; the final word is still the scorer's (``tasks.validate``).
"""

from __future__ import annotations

import sys
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from pytest_hybrid_eval.errors import TaskError
from pytest_hybrid_eval.sandbox.base import Limits, Sandbox
from pytest_hybrid_eval.scoring.pytest_scorer import build_tree, pytest_env
from pytest_hybrid_eval.scoring.tree import GUARD_DIR, HIDDEN_DIR
from pytest_hybrid_eval.tasks.model import Task


def _nodeids(report: Path) -> dict[str, bool]:
    """node id (``hidden_tests/x.py::Cls::t``) -> passed, from an xunit1 JUnit report (it names the file)."""
    out: dict[str, bool] = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        file, classname, name = case.get("file", ""), case.get("classname", ""), case.get("name", "")
        if not file.endswith(".py"):
            continue
        module = file[:-3].replace("/", ".")
        classes = classname[len(module) + 1:].split(".") if classname.startswith(module + ".") else []
        nodeid = "::".join([file, *[c for c in classes if c], name])
        bad = any(child.tag in ("failure", "error", "skipped") for child in case)
        out[nodeid] = out.get(nodeid, True) and not bad
    return out


def run_once(task: Task, files: dict[str, str | None], sandbox: Sandbox, timeout_s: float) -> dict[str, bool]:
    """Outcomes of every test under the hidden test directory for the given editable files."""
    with tempfile.TemporaryDirectory(prefix="hybrid-mine-run-") as tmp:
        tree = Path(tmp) / "tree"
        build_tree(task, files, tree)
        report = tree / GUARD_DIR / "mine-report.xml"
        argv = [sys.executable, "-B", "-m", "pytest", "-q", "-p", "no:cacheprovider", "--import-mode=importlib",
                "-o", "junit_family=xunit1", f"--junitxml={report}", HIDDEN_DIR]  # fmt: skip
        env = {k: v for k, v in pytest_env(tree).items() if k != "PYTHONPATH"}
        res = sandbox.run(argv, tree, Limits(wall_s=timeout_s), env=env)
        if not report.is_file():
            tail = res.output_tail.strip().splitlines()
            raise TaskError(f"tests produced no report (exit {res.exit_code}{', ' + res.limit_hit if res.limit_hit else ''}): "
                            f"{tail[-1][:200] if tail else ''}")  # fmt: skip
        return _nodeids(report)


@dataclass(frozen=True)
class Verdicts:
    fail_to_pass: list[str]
    pass_to_pass: list[str]
    flaky: list[str]


def repository_id(nodeid: str, test_dir: str) -> str:
    """``hidden_tests/x.py::t`` as the repository names it: ``<test_dir>/x.py::t``."""
    return test_dir.rstrip("/") + "/" + nodeid.split("/", 1)[1]


def classify(task: Task, sandbox: Sandbox, test_dir: str, runs: int = 3, timeout_s: float = 300.0) -> Verdicts:
    """FAIL_TO_PASS: fails in every base run and passes in every fixed run; PASS_TO_PASS: passes in all runs.

    A test whose outcome differs between runs of the same state is flaky and kept in neither list.
    """
    reference = task.reference_files()
    base_runs = [run_once(task, {}, sandbox, timeout_s) for _ in range(runs)]
    fix_runs = [run_once(task, dict(reference), sandbox, timeout_s) for _ in range(runs)]
    ids = sorted(set().union(*base_runs, *fix_runs))
    f2p: list[str] = []
    p2p: list[str] = []
    flaky: list[str] = []
    for nodeid in ids:
        base = {r.get(nodeid) for r in base_runs}
        fix = {r.get(nodeid) for r in fix_runs}
        if len(base) > 1 or len(fix) > 1:
            flaky.append(nodeid)
        elif fix == {True} and base == {True}:
            p2p.append(repository_id(nodeid, test_dir))
        elif fix == {True} and base <= {False, None}:
            f2p.append(repository_id(nodeid, test_dir))
    return Verdicts(f2p, p2p, flaky)
