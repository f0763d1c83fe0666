"""The ``repo`` layout of a real-prs task: a real repository's checkout as the agent's workspace.

The synthetic instances use the ``split`` layout (``real_prs`` module docstring): the test directory is
lifted out of ``public/`` and the whole suite is scored. A real repository's suite has tests that fail
for reasons unrelated to the fix (network, platform, flakiness), and a pull request often *changes*
existing tests, whose old versions fail at the fix. So this layout follows SWE-bench's evaluation:

    public/   the whole checkout at the base commit (test directory included) without ``.git``; the
              scorer drops a ``tests/`` directory from the scoring tree (a reserved name)
    hidden/   the test files the test patch touches, in their patched form, plus the conftest.py files
              they depend on; the top conftest starts with the bootstrap of ``repo_env`` (import root,
              cached test dependencies, and the selection of FAIL_TO_PASS + PASS_TO_PASS)
    (no tests/: only the instance's own tests are scored)
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path, PurePosixPath

from pytest_hybrid_eval.errors import TaskError
from pytest_hybrid_eval.tasks import repo_env

_SKIP = shutil.ignore_patterns(".git", "__pycache__", "*.pyc", ".pytest_cache")
_FUTURE = re.compile(r"^from __future__ import [^\n]*\n", re.M)


def copy_public(work: Path, stage: Path) -> None:
    """The checkout as the agent sees it: every file at the base commit, no history."""
    shutil.copytree(work, stage / "public", ignore=_SKIP)


def environment(repo: str, work: Path) -> tuple[list[str], str | None]:
    """(import roots, site dir) for the checkout at ``work``; TaskError with the reason when it cannot be had."""
    shadowed = repo_env.shadowed_packages(work)
    if shadowed:
        raise TaskError(f"package {shadowed[0]!r} is imported by pytest itself before any test runs, so the "
                        "candidate's version of it cannot be the one tested")  # fmt: skip
    env = repo_env.ensure_env(repo, work)
    if env.site is None:
        raise TaskError(env.reason or "environment could not be installed")
    return repo_env.import_roots(work), env.site


def _with_bootstrap(original: str, header: str) -> str:
    """The header first, except that the original's ``from __future__`` imports must stay the first statements."""
    futures = "".join(_FUTURE.findall(original))
    return futures + header + _FUTURE.sub("", original)


def copy_hidden(work: Path, stage: Path, touched: list[str], test_dir: str, header: str) -> None:
    """The touched test files (as patched in ``work``) and their conftest chain under ``stage/hidden``."""
    hidden = stage / "hidden"
    base = PurePosixPath(test_dir)
    wanted = set(touched)
    for rel in touched:
        for parent in PurePosixPath(rel).parents:
            if parent == base or base in parent.parents:
                wanted.add(str(parent / "conftest.py"))
    for rel in sorted(wanted):
        src = work / rel
        if not src.is_file():
            continue
        target = hidden / PurePosixPath(rel).relative_to(base)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, target)
    top = hidden / "conftest.py"
    original = top.read_text(encoding="utf-8") if top.is_file() else ""
    hidden.mkdir(parents=True, exist_ok=True)
    top.write_text(_with_bootstrap(original, header), encoding="utf-8")
    if not touched:
        raise TaskError("the test patch touches no file")


def keep_ids(test_dir: str, ids: list[str] | None) -> list[str] | None:
    """Repository node ids ``tests/x.py::t`` as the bootstrap's ``x.py::t`` (None keeps every test)."""
    if ids is None:
        return None
    prefix = test_dir.rstrip("/") + "/"
    return [i[len(prefix):] for i in ids if i.startswith(prefix)]
