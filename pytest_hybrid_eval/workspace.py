"""The agent's workspace: the task's public files and visible tests, and reading back its edits.

Only ``public/`` and ``tests/`` ever reach a workspace; ``hidden/``, ``reference/`` and ``decoy/`` never do
(an agent that could read them would be graded on copying, one of hybrid-coding-eval's confounds). Symbolic links
in the copied directories are refused rather than followed, because following one could pull a
reference file into the workspace, and copying it as a link would let the agent read through it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from pytest_hybrid_eval.errors import TaskError
from pytest_hybrid_eval.tasks.model import Task

_SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache")


def _refuse_links(root: Path) -> None:
    for path in root.rglob("*"):
        if path.is_symlink():
            raise TaskError(f"{path}: symbolic links are not allowed in a task's public/ or tests/; copy the file")


def copy_public_tree(src: Path, dest: Path) -> None:
    """Copy a trusted task directory into ``dest`` (merging), refusing symbolic links."""
    if not src.is_dir():
        return
    _refuse_links(src)
    shutil.copytree(src, dest, dirs_exist_ok=True, ignore=_SKIP)


def prepare_workspace(task: Task, dest: Path) -> Path:
    """Fill ``dest`` with ``public/`` and, as ``dest/tests``, the visible tests; return ``dest``."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    copy_public_tree(task.public_dir, dest)
    copy_public_tree(task.tests_dir, dest / "tests")
    return dest


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def collect_edits(task: Task, workspace: Path) -> dict[str, str | None]:
    """The agent's final version of every editable file; None when it is missing (deleted).

    A file that is a link pointing outside the workspace reads as missing: the agent must not be able
    to smuggle a host file (or the reference solution) into the scored tree.
    """
    root = Path(workspace).resolve()
    out: dict[str, str | None] = {}
    for rel in task.editable:
        path = root / rel
        try:
            real = path.resolve()
        except OSError:
            out[rel] = None
            continue
        if not _inside(real, root) or not real.is_file():
            out[rel] = None
            continue
        out[rel] = real.read_text(encoding="utf-8", errors="replace")
    return out
