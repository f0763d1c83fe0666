"""``hybrid-eval tasks mine``: real-prs instances from a repository's history, validated by running them.

The recipe is SWE-bench's, applied to any repository with a pytest suite (issue 15 in this project's
tracker): walk the first-parent line (pull-request merges and direct commits), keep fixes that change
both test files and other files within size bounds, split each against its first parent into a test
patch and a gold patch (``gitrepo``), install the test environment (``repo_env``), lay the instance out
as a task (``real_prs.materialize``, ``repo`` layout), run the touched tests three times at the base with
the test patch and three times at the fix (``mine_run``), and keep it when at least one test goes from
failing to passing. The scorer then has the last word (``tasks.validate``: gold passes, base fails).

The output folder is a task root: ``instances.jsonl`` (SWE-bench's fields plus ours), ``facts.jsonl``
(the same instances as facts only: URL, shas, test ids, statement source; see ``tasks.upstream``), a
conftest that makes ``pytest DIR`` run the instances as cells, and a ``.gitignore`` for the task folders.
"""

from __future__ import annotations

import json
import re
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from pytest_hybrid_eval.errors import HybridEvalError, TaskError
from pytest_hybrid_eval.sandbox.base import Sandbox
from pytest_hybrid_eval.tasks import gitrepo, repo_env
from pytest_hybrid_eval.tasks.mine_run import classify
from pytest_hybrid_eval.tasks.real_prs import INSTANCES_FILE, Instance, default_mirror_dir, materialize
from pytest_hybrid_eval.tasks.upstream import FACTS_FILE, Facts
from pytest_hybrid_eval.tasks.validate import validate_task

_ROOT_CONFTEST = '''"""Makes this folder of mined instances a task root of pytest-hybrid-eval (written by `hybrid-eval tasks mine`)."""

from pathlib import Path


def pytest_hybrid_task_roots(sweep, rootdir):
    return [Path(__file__).resolve().parent]
'''


@dataclass(frozen=True)
class Bounds:
    """What an agent can be asked to do: at most this many non-test Python files and changed lines."""

    max_files: int = 3
    max_lines: int = 120
    max_test_lines: int = 400


@dataclass
class MineReport:
    repo: str
    candidates: int = 0
    mined: list[dict] = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    env_bytes: int = 0

    def summary(self) -> str:
        reasons = ", ".join(f"{why} {n}" for why, n in self.skipped.most_common()) or "none"
        return (f"{self.repo}: mined {len(self.mined)} of {self.candidates} candidates; skipped by reason: {reasons} "
                f"({self.seconds:.0f}s, env cache {self.env_bytes / 1e6:.1f} MB)")  # fmt: skip


@dataclass(frozen=True)
class Candidate:
    commit: gitrepo.Commit
    test_files: list[str]
    fix_files: list[str]
    test_dir: str
    size: dict[str, int]


def candidates(mirror: Path, bounds: Bounds, since: str | None, paths: str | None) -> list[Candidate]:
    """First-parent commits that change tests and code within the bounds, newest first."""
    out: list[Candidate] = []
    for commit in gitrepo.first_parent_log(mirror, since):
        files = gitrepo.changes(mirror, commit.parents[0], commit.sha)
        tests, rest = gitrepo.split_changes(files, paths)
        code = [f for f in rest if f.path.endswith(".py")]
        test_dir = gitrepo.test_dir_of([f.path for f in tests])
        if not code or not any(f.path.endswith(".py") for f in tests) or test_dir is None:
            continue
        lines = sum(f.added + f.deleted for f in code)
        test_lines = sum(f.added + f.deleted for f in tests)
        if any(f.binary for f in files) or len(code) > bounds.max_files or lines > bounds.max_lines \
                or test_lines > bounds.max_test_lines:  # fmt: skip
            continue
        size = {"files": len(code), "lines": lines, "test_lines": test_lines}
        out.append(Candidate(commit, [f.path for f in tests], [f.path for f in rest], test_dir, size))
    return out


def instance_record(mirror: Path, repo: str, cand: Candidate) -> dict:
    """The instance's full record (patches and statement computed from the repository), test lists empty."""
    base, fix = cand.commit.parents[0], cand.commit.sha
    text, source = gitrepo.statement(mirror, base, fix)
    version = gitrepo.git("--git-dir", str(mirror), "describe", "--tags", "--abbrev=0", base, check=False).strip()
    slug = re.sub(r"[^A-Za-z0-9]+", "-", repo.rsplit("/", 1)[-1])
    return {"instance_id": f"{slug}-{fix[:10]}", "repo": repo, "base_commit": base,
            "patch": gitrepo.diff(mirror, base, fix, cand.fix_files),
            "test_patch": gitrepo.diff(mirror, base, fix, cand.test_files),
            "problem_statement": text or cand.commit.subject, "statement_source": source,
            "FAIL_TO_PASS": [], "PASS_TO_PASS": [], "version": version or "0",
            "created_at": cand.commit.created_at, "fix_commit": fix, "test_dir": cand.test_dir,
            "layout": "repo", "size": cand.size, "test_files": cand.test_files}  # fmt: skip


def _reason(exc: Exception) -> str:
    """A skip reason short enough to count: the message's kind, without shas and paths."""
    msg = str(exc)
    for key in ("do not install", "imported by pytest itself", "does not apply", "no report"):
        if key in msg:
            return {"do not install": "environment", "imported by pytest itself": "package shadowed by pytest",
                    "does not apply": "patch does not apply", "no report": "tests did not run"}[key]  # fmt: skip
    return "error: " + msg[:80]


def try_candidate(mirror: Path, repo: str, cand: Candidate, sandbox: Sandbox, work: Path) -> tuple[dict | None, str]:
    """(record with test lists, "") when the candidate validates, else (None, reason)."""
    record = instance_record(mirror, repo, cand)
    probe = Instance.model_validate({**record, "FAIL_TO_PASS": ["-"]})
    try:
        task = materialize(probe, default_mirror_dir(), work / "probe", select=False)
        verdicts = classify(task, sandbox, cand.test_dir)
    except (TaskError, HybridEvalError, OSError) as exc:
        return None, _reason(exc)
    if not verdicts.fail_to_pass:
        return None, "no FAIL_TO_PASS test"
    record.update(FAIL_TO_PASS=verdicts.fail_to_pass, PASS_TO_PASS=verdicts.pass_to_pass,
                  flaky_dropped=len(verdicts.flaky))  # fmt: skip
    inst = Instance.model_validate(record)
    try:
        task = materialize(inst, default_mirror_dir(), work / inst.task_id)
        problems = validate_task(task, sandbox)
    except (TaskError, HybridEvalError, OSError) as exc:
        return None, _reason(exc)
    if problems:
        return None, "scorer disagrees: " + re.sub(r"\(\d+/\d+ passed; ", "(", problems[0])[:70]
    key = repo_env.env_key(repo, repo_env.dependency_spec(task.public_dir))
    record["environment_key"] = key
    return record, ""


def _mirror_for(source: str, repo: str) -> Path:
    path = default_mirror_dir() / f"{repo}.git"
    return gitrepo.mirror_from(source, path)


def mine(source: str, out: Path, sandbox: Sandbox, *, upstream: str | None = None, max_n: int = 20,
         since: str | None = None, paths: str | None = None, bounds: Bounds = Bounds(),
         max_tries: int | None = None, log=print) -> MineReport:  # fmt: skip
    """Mine ``source`` into ``out``; returns the report (its ``summary()`` is the one-line result)."""
    start = time.monotonic()
    is_local = Path(source).exists()
    source = str(Path(source).resolve()) if is_local else source
    with tempfile.TemporaryDirectory(prefix="hybrid-mine-probe-") as tmp:
        probe = gitrepo.mirror_from(source, Path(tmp) / "probe.git")
        url = upstream or gitrepo.upstream_of(source, probe)
        repo = gitrepo.repo_name(url, source)
    mirror = _mirror_for(source, repo)
    report = MineReport(repo)
    cands = candidates(mirror, bounds, since, paths)
    report.candidates = len(cands)
    tries = 0
    with tempfile.TemporaryDirectory(prefix="hybrid-mine-") as tmp:
        for cand in cands:
            if len(report.mined) >= max_n or (max_tries is not None and tries >= max_tries):
                report.skipped["not tried (limit reached)"] += 1
                continue
            tries += 1
            record, why = try_candidate(mirror, repo, cand, sandbox, Path(tmp) / str(tries))
            if record is None:
                report.skipped[why] += 1
                log(f"  skip {cand.commit.sha[:10]} {cand.commit.subject[:60]!r}: {why}")
                continue
            record["upstream_url"] = url
            report.mined.append(record)
            log(f"  mined {record['instance_id']}: {len(record['FAIL_TO_PASS'])} FAIL_TO_PASS, "
                f"{len(record['PASS_TO_PASS'])} PASS_TO_PASS ({record['statement_source']})")  # fmt: skip
    _set_environment_commits(report.mined)
    write_output(out, report.mined)
    report.seconds = time.monotonic() - start
    report.env_bytes = repo_env.env_size(repo_env.env_root() / re.sub(r"[^a-z0-9-]+", "-", repo.lower()))
    return report


def _set_environment_commits(records: list[dict]) -> None:
    """SWE-bench's environment_setup_commit: the oldest base commit that shares the instance's environment."""
    oldest: dict[str, tuple[str, str]] = {}
    for r in records:
        key = r["environment_key"]
        if key not in oldest or r["created_at"] < oldest[key][0]:
            oldest[key] = (r["created_at"], r["base_commit"])
    for r in records:
        r["environment_setup_commit"] = oldest[r["environment_key"]][1]


def write_output(out: Path, records: list[dict]) -> None:
    """instances.jsonl (full), facts.jsonl (facts only), the task-root conftest and the .gitignore."""
    out.mkdir(parents=True, exist_ok=True)
    with open(out / INSTANCES_FILE, "w", encoding="utf-8") as fh:
        for r in records:
            fh.write(json.dumps(r, sort_keys=True) + "\n")
    with open(out / FACTS_FILE, "w", encoding="utf-8") as fh:
        for r in records:
            fh.write(Facts.from_record(r).model_dump_json() + "\n")
    (out / "conftest.py").write_text(_ROOT_CONFTEST, encoding="utf-8")
    (out / ".gitignore").write_text("# materialized task folders\n/*/\n", encoding="utf-8")
