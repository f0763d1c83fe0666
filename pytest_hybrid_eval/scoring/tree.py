"""The scoring tree: a fresh directory assembled from trusted parts plus the candidate's editable files.

Only the files a task lists as ``editable`` are taken from a candidate, never one that escapes the tree,
lands among the harness's own directories or is a configuration file that Python or pytest would load on
its own (conftest.py, pytest.ini, sitecustomize.py…). Everything else comes from the task.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path, PurePosixPath

from pytest_hybrid_eval.tasks.model import Task
from pytest_hybrid_eval.workspace import copy_public_tree

TESTS_DIR = "tests"
HIDDEN_DIR = "hidden_tests"
GUARD_DIR = ".hybrid_guard"
CASES_DIR = ".hybrid_cases"
RESERVED_DIRS = frozenset({TESTS_DIR, HIDDEN_DIR, GUARD_DIR, CASES_DIR})
PROTECTED_NAMES = frozenset({"conftest.py", "pytest.ini", "tox.ini", "setup.cfg", "pyproject.toml",
                             "sitecustomize.py", "usercustomize.py"})  # fmt: skip


def _safe_target(tree: Path, rel: str) -> Path | None:
    """The overlay destination of an editable path, or None if it must be rejected."""
    pure = PurePosixPath(rel)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts:
        return None
    if pure.parts[0] in RESERVED_DIRS or pure.name in PROTECTED_NAMES or pure.suffix in (".pyc", ".pth"):
        return None
    target = (tree / rel).resolve()
    root = tree.resolve()
    if root not in target.parents:
        return None
    return target


def overlay_candidate(task: Task, files: dict[str, str | None], tree: Path) -> list[str]:
    """Copy ``public/`` into ``tree`` and lay the candidate's editable files over it; return notes."""
    notes: list[str] = []
    tree.mkdir(parents=True, exist_ok=True)
    copy_public_tree(task.public_dir, tree)
    for name in RESERVED_DIRS:
        if (tree / name).exists():
            shutil.rmtree(tree / name)
    editable = set(task.editable)
    notes += [f"ignored {rel!r}: not an editable file of the task" for rel in sorted(files) if rel not in editable]
    for rel in task.editable:
        content = files.get(rel)
        if content is None:
            continue  # missing/deleted: the public version (if any) stays
        target = _safe_target(tree, rel)
        if target is None:
            notes.append(f"ignored {rel!r}: outside the tree, among the tests, or a config file")
            continue
        if target.is_symlink() or target.is_dir():
            notes.append(f"ignored {rel!r}: target is a link or a directory")
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")
    return notes


def purge_bytecode(tree: Path) -> int:
    """Remove every ``__pycache__`` and stray ``.pyc`` so no compiled file can stand in for a source."""
    removed = 0
    for p in sorted(tree.rglob("*"), reverse=True):
        if p.name == "__pycache__" and p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
            removed += 1
        elif p.suffix in (".pyc", ".pyo") and (p.is_file() or p.is_symlink()):
            p.unlink(missing_ok=True)
            removed += 1
    return removed


def tree_digest(tree: Path, dirs: tuple[str, ...]) -> str:
    """A digest of *every* entry under ``dirs`` (bytecode caches included: a planted .pyc is a change)."""
    h = hashlib.sha256()
    for name in dirs:
        base = tree / name
        for p in sorted(base.rglob("*")) if base.is_dir() else []:
            h.update(str(p.relative_to(tree)).encode() + b"\0")
            if p.is_symlink():
                h.update(b"<link>" + str(p.readlink()).encode())
            elif p.is_file():
                h.update(p.read_bytes())
            elif p.is_dir():
                h.update(b"<dir>")
            else:
                h.update(b"<special>")
    return h.hexdigest()


def task_digest(task: Task) -> str:
    """Identity of a task's trusted content, for caches keyed on it."""
    h = hashlib.sha256(str(task.root).encode())
    for base in (task.public_dir, task.tests_dir, task.hidden_dir, task.reference_dir):
        if not base.is_dir():
            continue
        for p in sorted(base.rglob("*")):
            if p.is_file() and "__pycache__" not in p.parts:
                h.update(str(p.relative_to(task.root)).encode() + b"\0" + p.read_bytes())
    return h.hexdigest()
