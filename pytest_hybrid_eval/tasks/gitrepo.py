"""Reading a real repository's history for mining: sources, first-parent candidates, split patches, statements.

Why a module of its own: the miner (``tasks.mine``) and the materializer of committed facts
(``tasks.upstream``) must compute *the same* patches and statement from a repository and two commits,
because the project commits only facts (shas, test ids) and recomputes the text from the repository.
Every function here reads git; nothing writes to the source repository.

A fix is split the way SWE-bench split pull requests: against the commit's first parent, the changes to
test files are the test patch and everything else is the gold patch. The statement comes from what git
holds of the pull request's own text (merge message and the merged commits' messages), never the diff.
"""

from __future__ import annotations

import fnmatch
import os
import re
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from pytest_hybrid_eval.errors import TaskError

_TEST_DIRS = frozenset({"test", "tests", "testing"})
_MERGE_LINE = re.compile(r"^Merge (pull request|branch|remote-tracking branch) .*$", re.M)


def git(*args: str, cwd: Path | None = None, check: bool = True) -> str:
    """git with user/system configuration ignored (hooks, diff drivers and pagers cannot interfere)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull, GIT_TERMINAL_PROMPT="0", LC_ALL="C")
    res = subprocess.run(["git", "-c", "core.autocrlf=false", "-c", "core.quotepath=off", *args], cwd=cwd,
                         env=env, capture_output=True, text=True, errors="replace")  # fmt: skip
    if check and res.returncode != 0:
        lines = (res.stderr or res.stdout).strip().splitlines()
        raise TaskError(f"git {args[0]} failed: {lines[-1] if lines else res.returncode}")
    return res.stdout


def has_commit(repo: Path, sha: str) -> bool:
    """Does the (bare) repository at ``repo`` hold commit ``sha``?"""
    if not (repo / "HEAD").is_file():
        return False
    res = subprocess.run(["git", "--git-dir", str(repo), "cat-file", "-e", f"{sha}^{{commit}}"], capture_output=True)
    return res.returncode == 0


def is_test_path(path: str) -> bool:
    """A test file by the conventions pytest itself and most projects use (a test dir, test_*.py, conftest)."""
    pure = PurePosixPath(path)
    if any(part in _TEST_DIRS for part in pure.parts[:-1]):
        return True
    return pure.suffix == ".py" and (pure.name.startswith("test_") or pure.stem.endswith("_test")
                                     or pure.name == "conftest.py")  # fmt: skip


def test_dir_of(paths: list[str]) -> str | None:
    """The single top-level test directory the test files share (``tests``), or None if they do not."""
    tops = {PurePosixPath(p).parts[0] for p in paths if len(PurePosixPath(p).parts) > 1}
    return tops.pop() if len(tops) == 1 and all(len(PurePosixPath(p).parts) > 1 for p in paths) else None


def mirror_from(source: str, mirror: Path) -> Path:
    """A bare mirror at ``mirror`` of ``source`` (a local repository, a bundle or a URL); fetched when present."""
    if (mirror / "HEAD").is_file():
        git("--git-dir", str(mirror), "fetch", "-q", "--tags", source, "+refs/heads/*:refs/heads/*", check=False)
        return mirror
    mirror.parent.mkdir(parents=True, exist_ok=True)
    git("clone", "-q", "--mirror", source, str(mirror))
    return mirror


def upstream_of(source: str, repo: Path) -> str:
    """The upstream URL to record: a URL source itself, else the mirror's origin when it is a URL."""
    if re.match(r"^(https?|git|ssh)://|^[\w.-]+@[\w.-]+:", source):
        return source
    origin = git("--git-dir", str(repo), "config", "--get", "remote.origin.url", check=False).strip()
    return origin if re.match(r"^(https?|git|ssh)://", origin) else ""


def repo_name(upstream: str, source: str) -> str:
    """``owner/name`` from an upstream URL, else the source's file name without ``.git``/``.bundle``."""
    m = re.search(r"[/:]([\w.-]+)/([\w.-]+?)(?:\.git)?/?$", upstream)
    if m:
        return f"{m.group(1)}/{m.group(2)}"
    return re.sub(r"\.(git|bundle)$", "", Path(source.rstrip("/")).name)


@dataclass(frozen=True)
class FileChange:
    path: str
    added: int
    deleted: int
    binary: bool


@dataclass(frozen=True)
class Commit:
    sha: str
    parents: tuple[str, ...]
    time: int
    subject: str

    @property
    def created_at(self) -> str:
        return datetime.fromtimestamp(self.time, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def first_parent_log(repo: Path, since: str | None = None, ref: str = "HEAD") -> list[Commit]:
    """Commits on the first-parent line of ``ref`` (merges of pull requests and direct commits), newest first."""
    args = ["--git-dir", str(repo), "log", "--first-parent", "--format=%H%x00%P%x00%ct%x00%s", ref]
    if since:
        args.insert(4, f"--since={since}")
    out: list[Commit] = []
    for line in git(*args).splitlines():
        sha, parents, ct, subject = line.split("\0", 3)
        if parents:
            out.append(Commit(sha, tuple(parents.split()), int(ct), subject))
    return out


def changes(repo: Path, base: str, fix: str) -> list[FileChange]:
    """Files changed from ``base`` to ``fix`` with line counts (renames shown as delete + add)."""
    out: list[FileChange] = []
    raw = git("--git-dir", str(repo), "diff", "--no-renames", "--numstat", "-z", base, fix)
    for field in raw.split("\0"):
        if not field:
            continue
        added, deleted, path = field.split("\t", 2)
        binary = added == "-"
        out.append(FileChange(path, 0 if binary else int(added), 0 if binary else int(deleted), binary))
    return out


def split_changes(files: list[FileChange], paths: str | None = None) -> tuple[list[FileChange], list[FileChange]]:
    """(test files, other files); with ``paths`` (a glob) only fixes whose non-test files all match it count."""
    tests = [f for f in files if is_test_path(f.path)]
    rest = [f for f in files if not is_test_path(f.path)]
    if paths and not all(fnmatch.fnmatch(f.path, paths) for f in rest if f.path.endswith(".py")):
        return tests, []
    return tests, rest


def diff(repo: Path, base: str, fix: str, paths: list[str]) -> str:
    """The unified diff of ``paths`` from ``base`` to ``fix`` (full index lines, so it applies exactly)."""
    if not paths:
        return ""
    return git("--git-dir", str(repo), "diff", "--no-renames", "--full-index", "--binary", base, fix, "--", *paths)


def statement(repo: Path, base: str, fix: str) -> tuple[str, str]:
    """(problem statement, source) from commit messages only: the merge's and those of the merged commits.

    Source ``pr-merge`` is a merge commit (its message plus its branch's messages, oldest first),
    ``commit-message`` a single commit. The "Merge pull request #n from …" line itself is dropped.
    """
    parents = git("--git-dir", str(repo), "rev-list", "--parents", "-n", "1", fix).split()[1:]
    messages = [git("--git-dir", str(repo), "log", "-1", "--format=%B", fix)]
    source = "commit-message"
    if len(parents) > 1:
        source = "pr-merge"
        branch = git("--git-dir", str(repo), "log", "--reverse", "--format=%B%x00", f"{base}..{fix}^2")
        messages += [m for m in branch.split("\0") if m.strip()]
    text = "\n\n".join(_MERGE_LINE.sub("", m).strip() for m in messages)
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    return text, source
