"""Instances committed as facts only, and their text recomputed from the repository when materialised.

Why: the project may not carry other projects' code or prose, so the committed real-prs suite records
for each instance only its upstream URL, the base and fix commits, the test files and test ids and
where its statement comes from (``Facts``). Patches and statement are computed again from a local copy
of the repository (``gitrepo``, the same functions the miner used), found under the directories of
``$HYBRID_EVAL_REPOS`` (colon-separated), the suite's ``repos_hint`` directories and the mirror cache, as
``<name>.bundle``, ``<name>.git`` or ``<name>/``. Without one, the suite's instances are skipped with a
one-line reason (``SourceMissing``), never an error.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pytest_hybrid_eval.errors import TaskError
from pytest_hybrid_eval.tasks import gitrepo

FACTS_FILE = "facts.jsonl"
#: where a checkout of this project finds the shared bundles (relative to a suite directory's ancestors)
_HINTS = ("shared/repos",)


class Facts(BaseModel):
    """One instance as facts: nothing in it is the upstream project's code or text."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    instance_id: str
    repo: str
    upstream_url: str = ""
    base_commit: str = Field(pattern=r"^[0-9a-f]{40}$")
    fix_commit: str = Field(pattern=r"^[0-9a-f]{40}$")
    environment_setup_commit: str = ""
    test_dir: str
    test_files: list[str] = Field(min_length=1)
    fail_to_pass: list[str] = Field(alias="FAIL_TO_PASS", min_length=1)
    pass_to_pass: list[str] = Field(alias="PASS_TO_PASS", default_factory=list)
    statement_source: str
    version: str = ""
    created_at: str = ""
    size: dict[str, int] = Field(default_factory=dict)

    @classmethod
    def from_record(cls, record: dict) -> Facts:
        return cls.model_validate({k: v for k, v in record.items() if k in cls.model_fields or k in (
            "FAIL_TO_PASS", "PASS_TO_PASS")})  # fmt: skip


class SourceMissing(TaskError):
    """No local copy of a repository the facts refer to (the suite is skipped, not failed)."""


def load_facts(path: Path) -> list[Facts]:
    out: list[Facts] = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            out.append(Facts.model_validate(json.loads(line)))
        except (json.JSONDecodeError, ValidationError) as exc:
            raise TaskError(f"{path}:{lineno}: not a facts record ({str(exc).splitlines()[0]})") from None
    return out


def search_dirs(suite: Path) -> list[Path]:
    dirs = [Path(p) for p in os.environ.get("HYBRID_EVAL_REPOS", "").split(":") if p]
    for parent in suite.resolve().parents:
        dirs += [parent / hint for hint in _HINTS if (parent / hint).is_dir()]
    return dirs


def find_source(repo: str, dirs: list[Path]) -> Path | None:
    name = repo.rsplit("/", 1)[-1]
    for d in dirs:
        for cand in (d / f"{name}.bundle", d / f"{name}.git", d / name):
            if cand.exists():
                return cand
    return None


def instance_records(facts: list[Facts], suite: Path, mirror_dir: Path) -> list[dict]:
    """Full instance records (patches, statement) computed from local copies; SourceMissing names the first gap."""
    dirs = search_dirs(suite)
    mirrors: dict[str, Path] = {}
    out: list[dict] = []
    for f in facts:
        if f.repo not in mirrors:
            mirror = mirror_dir / f"{f.repo}.git"
            if not gitrepo.has_commit(mirror, f.fix_commit):
                source = find_source(f.repo, dirs)
                if source is None:
                    raise SourceMissing(f"real_prs facts in {suite.name}: no local copy of {f.repo} ({f.upstream_url}); "
                                        "put <name>.bundle or a clone under $HYBRID_EVAL_REPOS")  # fmt: skip
                gitrepo.mirror_from(str(source), mirror)
            mirrors[f.repo] = mirror
        mirror = mirrors[f.repo]
        changed = [c.path for c in gitrepo.changes(mirror, f.base_commit, f.fix_commit)]
        fix_files = [p for p in changed if p not in set(f.test_files)]
        text, _ = gitrepo.statement(mirror, f.base_commit, f.fix_commit)
        out.append({**f.model_dump(by_alias=True), "layout": "repo", "problem_statement": text or f.instance_id,
                    "patch": gitrepo.diff(mirror, f.base_commit, f.fix_commit, fix_files),
                    "test_patch": gitrepo.diff(mirror, f.base_commit, f.fix_commit, f.test_files)})  # fmt: skip
    return out
