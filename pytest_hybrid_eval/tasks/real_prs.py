"""The real-prs task class: SWE-bench-style JSONL instances turned into ordinary task directories.

Why an adapter and not a second scorer: every other class is a task directory scored by
the ``pytest`` scorer (``scoring.pytest_scorer``), with the sealing guarantees that come with it (pristine tests, only editable files
overlaid, expected node ids from the reference). An instance is therefore *materialized* into exactly
that layout, from a local git mirror (never the network):

    public/     the repository at ``base_commit`` without its test directory and without ``.git``
    tests/      the repository's test directory at ``base_commit`` (what a contributor sees)
    hidden/     the test files that ``test_patch`` adds or changes, in their patched form
    reference/  the ``editable`` files after applying ``patch`` (the gold fix)
    decoy/      the ``editable`` files after ``decoy_patch`` (our extra field: a partial fix), if given
    task.yaml   class real_prs, family = repository name, prompt = problem statement + files to edit

Scoring runs ``tests/`` and ``hidden_tests/`` together, so a FAIL_TO_PASS id ``tests/test_x.py::t``
whose file the test patch touches runs as ``hidden_tests/test_x.py::t`` (see ``real_prs_verify.scored_nodeid``).
``real_prs_verify.verify_instance`` checks the layout honours the instance: at the reference every FAIL_TO_PASS and
PASS_TO_PASS id passes, at the base every FAIL_TO_PASS id fails.

Mirrors live under ``$HYBRID_EVAL_MIRRORS`` or ``<user cache>/pytest-hybrid-eval/mirrors`` as
``<owner>/<name>.git``. When one is missing and a ``build_mirrors.py`` sits next to the JSONL (as in
``bench_suites/real_prs``), its ``build_mirrors`` function creates it locally.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from types import ModuleType
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from pytest_hybrid_eval.errors import TaskError
from pytest_hybrid_eval.scoring.tree import TESTS_DIR
from pytest_hybrid_eval.tasks import repo_env, repo_layout, upstream
from pytest_hybrid_eval.tasks.model import TASK_FILE, Difficulty, Task, load_task

INSTANCES_FILE = "instances.jsonl"
BUILDER_FILE = "build_mirrors.py"
STAMP_FILE = ".instance.sha256"
#: bump when the layout written by ``materialize`` changes, so stale task directories are rebuilt
LAYOUT_VERSION = "1"
_SHA_RE = re.compile(r"^[0-9a-f]{40}$")


class Instance(BaseModel):
    """One JSONL record. Unknown SWE-bench fields (created_at, version, hints_text…) are ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    instance_id: str = Field(min_length=1)
    repo: str = Field(min_length=1)
    base_commit: str
    problem_statement: str = Field(min_length=1)
    fail_to_pass: list[str] = Field(alias="FAIL_TO_PASS", min_length=1)
    pass_to_pass: list[str] = Field(alias="PASS_TO_PASS", default_factory=list)
    test_patch: str = Field(min_length=1)
    patch: str = Field(min_length=1)
    difficulty: Difficulty = "medium"
    editable: list[str] | None = None
    decoy_patch: str | None = None
    test_dir: str = TESTS_DIR
    #: ``split`` (synthetic mirrors: whole suite scored) or ``repo`` (a real checkout; see ``repo_layout``)
    layout: Literal["split", "repo"] = "split"

    @field_validator("fail_to_pass", "pass_to_pass", mode="before")
    @classmethod
    def _json_list(cls, v: Any) -> Any:
        """SWE-bench exports store these lists as JSON-encoded strings; accept both forms."""
        if isinstance(v, str):
            try:
                return json.loads(v)
            except json.JSONDecodeError:
                raise ValueError("must be a list of pytest node ids (or a JSON string of one)") from None
        return v

    @field_validator("base_commit")
    @classmethod
    def _full_sha(cls, v: str) -> str:
        if not _SHA_RE.match(v):
            raise ValueError("must be a full 40-character lowercase hex commit sha")
        return v

    @field_validator("repo")
    @classmethod
    def _repo_name(cls, v: str) -> str:
        if ".." in v.split("/") or v.startswith("/"):
            raise ValueError("must be 'owner/name' or 'name', without '..' or a leading '/'")
        return v

    @property
    def task_id(self) -> str:
        """A node-id-safe slug of ``instance_id`` (SWE-bench ids contain '__' and upper case)."""
        return re.sub(r"[^a-z0-9-]+", "-", self.instance_id.lower()).strip("-")

    @property
    def family(self) -> str:
        return re.sub(r"[^a-z0-9-]+", "-", self.repo.rsplit("/", 1)[-1].lower()).strip("-")

    def digest(self) -> str:
        """Content hash of the record plus the layout version: a materialized directory with another is stale."""
        blob = json.dumps(self.model_dump(by_alias=True), sort_keys=True) + LAYOUT_VERSION
        return hashlib.sha256(blob.encode()).hexdigest()


def load_instances(jsonl: Path | str) -> list[Instance]:
    """Parse a JSONL file; a bad line raises TaskError naming the file, line number and field."""
    path = Path(jsonl)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise TaskError(f"{path}: not found; run build_mirrors.py --write or point at your instances file") from None
    out: list[Instance] = []
    seen: dict[str, int] = {}
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            raise TaskError(f"{path}:{lineno}: not valid JSON ({exc.msg} at column {exc.colno})") from None
        if not isinstance(raw, dict):
            raise TaskError(f"{path}:{lineno}: must be a JSON object with instance_id, repo, base_commit, …")
        try:
            inst = Instance.model_validate(raw)
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(x) for x in err["loc"]) or "(root)"
            raise TaskError(f"{path}:{lineno}: field '{field}': {err['msg']}") from None
        if inst.task_id in seen:
            raise TaskError(f"{path}:{lineno}: instance id {inst.instance_id!r} repeats line {seen[inst.task_id]}")
        seen[inst.task_id] = lineno
        out.append(inst)
    return out


# -- git ---------------------------------------------------------------------------------------------------


def _git(*args: str, cwd: Path | None = None, input: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    """git with the user's and system's configuration ignored, so hooks or diff settings cannot interfere."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull, GIT_TERMINAL_PROMPT="0")
    res = subprocess.run(["git", "-c", "core.autocrlf=false", *args], cwd=cwd, env=env, input=input,
                         capture_output=True, text=True)  # fmt: skip
    if check and res.returncode != 0:
        raise TaskError(f"git {args[0]} failed: {_last_line(res)}")
    return res


def _last_line(res: subprocess.CompletedProcess[str]) -> str:
    lines = (res.stderr or res.stdout).strip().splitlines()
    return lines[-1] if lines else f"exit code {res.returncode}"


def default_mirror_dir() -> Path:
    """``$HYBRID_EVAL_MIRRORS``, else ``<user cache>/pytest-hybrid-eval/mirrors``."""
    env = os.environ.get("HYBRID_EVAL_MIRRORS")
    if env:
        return Path(env)
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "pytest-hybrid-eval" / "mirrors"


def find_mirror(mirror_dir: Path, repo: str) -> Path | None:
    """The mirror of ``repo``: ``<dir>/<repo>.git``, ``<dir>/<repo>`` or ``<dir>/<name>.git`` (first that exists)."""
    name = repo.rsplit("/", 1)[-1]
    for cand in (mirror_dir / f"{repo}.git", mirror_dir / repo, mirror_dir / f"{name}.git"):
        if cand.is_dir() and _git("--git-dir", str(cand), "rev-parse", "--git-dir", check=False).returncode == 0:
            return cand
    return None


def _has_commit(mirror: Path, sha: str) -> bool:
    return _git("--git-dir", str(mirror), "cat-file", "-e", f"{sha}^{{commit}}", check=False).returncode == 0


def _patch_files(work: Path, patch: str, what: str) -> list[str]:
    """Paths a unified diff touches (as git reads it, so quoting and renames are handled)."""
    res = _git("apply", "--numstat", "-z", "-", cwd=work, input=patch, check=False)
    if res.returncode != 0:
        raise TaskError(f"{what} is not a valid patch: {_last_line(res)}")
    fields = [f for f in res.stdout.split("\0") if f]
    paths: list[str] = []
    for f in fields:
        # "added\tdeleted\tpath" for plain entries; renames put the two paths in the following fields
        parts = f.split("\t")
        paths.append(parts[2] if len(parts) == 3 and parts[2] else parts[-1])
    return sorted({p for p in paths if p and "\t" not in p})


def _apply(work: Path, patch: str, what: str) -> None:
    res = _git("apply", "--whitespace=nowarn", "-", cwd=work, input=patch, check=False)
    if res.returncode != 0:
        raise TaskError(f"{what} does not apply at the base commit: {_last_line(res)}")


def _reset(work: Path, sha: str) -> None:
    """Back to a pristine checkout of ``sha`` (in our private clone only)."""
    _git("checkout", "-q", "-f", "--detach", sha, cwd=work)
    _git("clean", "-q", "-f", "-d", "-x", cwd=work)


# -- materializing --------------------------------------------------------------------------------------


_SKIP = shutil.ignore_patterns(".git", "__pycache__", "*.pyc", ".pytest_cache")


def _copy_files(work: Path, rels: list[str], dest: Path, strip: str = "") -> None:
    for rel in rels:
        src = work / rel
        if not src.is_file():
            continue  # deleted by the patch: nothing to ship
        target = dest / (PurePosixPath(rel).relative_to(strip) if strip else PurePosixPath(rel))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, target)


class _BlockDumper(yaml.SafeDumper):
    """Writes multi-line strings as ``|`` blocks so a generated task.yaml reads like a hand-written one."""


def _str_block(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value and not any(ln != ln.rstrip() for ln in value.splitlines()) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _str_block)


def _prompt(inst: Instance, editable: list[str]) -> str:
    files = "\n".join(f"  - {p}" for p in editable)
    return (
        f"{inst.problem_statement.rstrip()}\n\n"
        f"This is an issue filed against the {inst.repo} repository, checked out in your working directory "
        f"at commit {inst.base_commit[:12]}. Resolve it by editing only these files:\n{files}\n"
        f"The existing tests in {TESTS_DIR}/ must keep passing; do not change them.\n"
    )


def _check_paths(inst: Instance, test_files: list[str], fix_files: list[str]) -> list[str]:
    """The editable list, after checking that the patches stay on their side of the test directory."""
    prefix = inst.test_dir.rstrip("/") + "/"
    stray = [p for p in test_files if not p.startswith(prefix)]
    if stray:
        raise TaskError(f"{inst.instance_id}: test_patch touches {stray[0]!r} outside {prefix}; "
                        "the scorer only runs tests from the test directory")  # fmt: skip
    in_tests = [p for p in fix_files if p.startswith(prefix)]
    if in_tests:
        raise TaskError(f"{inst.instance_id}: patch touches test file {in_tests[0]!r}; move it to test_patch")
    editable = list(inst.editable) if inst.editable is not None else fix_files
    missing = [p for p in fix_files if p not in editable]
    if missing:
        raise TaskError(f"{inst.instance_id}: patch changes {missing[0]!r}, which is not listed in 'editable'")
    if not editable:
        raise TaskError(f"{inst.instance_id}: patch changes no file; nothing for an agent to fix")
    return editable


def materialize(instance: Instance, mirror_dir: Path | str, dest: Path | str, select: bool = True) -> Task:
    """Lay ``instance`` out as a task directory at ``dest`` (replacing it) and return the loaded Task.

    Works from a ``git clone --shared`` of the mirror in a temporary directory; the mirror is only read.
    The new directory is assembled beside ``dest`` and renamed into place, so a reader never sees half.
    ``select=False`` (the miner's runs) keeps every test of the touched files in a ``repo`` layout.
    """
    mirror_dir, dest = Path(mirror_dir), Path(dest)
    mirror = find_mirror(mirror_dir, instance.repo)
    if mirror is None:
        raise TaskError(f"{instance.instance_id}: no git mirror of {instance.repo} under {mirror_dir}; "
                        f"create {mirror_dir / instance.repo}.git (git clone --mirror) or run build_mirrors.py")  # fmt: skip
    if not _has_commit(mirror, instance.base_commit):
        raise TaskError(f"{instance.instance_id}: base_commit {instance.base_commit[:12]} is not in {mirror}; "
                        "update the mirror (git fetch) or rebuild it")  # fmt: skip
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="hybrid-realpr-") as tmp:
        work = Path(tmp) / "work"
        _git("clone", "-q", "--shared", "--no-checkout", str(mirror), str(work))
        _reset(work, instance.base_commit)
        test_files = _patch_files(work, instance.test_patch, f"{instance.instance_id}: test_patch")
        fix_files = _patch_files(work, instance.patch, f"{instance.instance_id}: patch")
        editable = _check_paths(instance, test_files, fix_files)
        stage = Path(tempfile.mkdtemp(prefix=f".{instance.task_id}-", dir=dest.parent))
        try:
            test_dir = instance.test_dir.rstrip("/")
            if instance.layout == "repo":
                roots, site = repo_layout.environment(instance.repo, work)
                repo_layout.copy_public(work, stage)
            else:
                shutil.copytree(work, stage / "public", ignore=lambda d, names: _SKIP(d, names) | (
                    {test_dir} if Path(d) == work else set()))  # fmt: skip
            if (work / test_dir).is_dir() and instance.layout == "split":
                shutil.copytree(work / test_dir, stage / "tests", ignore=_SKIP)
            _apply(work, instance.test_patch, f"{instance.instance_id}: test_patch")
            if instance.layout == "repo":
                keep = repo_layout.keep_ids(test_dir, [*instance.fail_to_pass, *instance.pass_to_pass] if select else None)
                header = repo_env.bootstrap_conftest(roots, site, keep)
                repo_layout.copy_hidden(work, stage, test_files, test_dir, header)
            else:
                _copy_files(work, test_files, stage / "hidden", strip=test_dir)
            _apply(work, instance.patch, f"{instance.instance_id}: patch")
            _copy_files(work, editable, stage / "reference")
            if instance.decoy_patch:
                _reset(work, instance.base_commit)
                _apply(work, instance.decoy_patch, f"{instance.instance_id}: decoy_patch")
                _copy_files(work, editable, stage / "decoy")
            meta = {
                "id": instance.task_id,
                "class": "real_prs",
                "family": instance.family,
                "difficulty": instance.difficulty,
                "title": instance.problem_statement.strip().splitlines()[0][:120],
                "prompt": _prompt(instance, editable),
                "editable": editable,
            }
            (stage / TASK_FILE).write_text(yaml.dump(meta, Dumper=_BlockDumper, sort_keys=False, allow_unicode=True),
                                           encoding="utf-8")  # fmt: skip
            (stage / STAMP_FILE).write_text(instance.digest() + "\n", encoding="utf-8")
            if dest.exists():
                shutil.rmtree(dest)
            stage.rename(dest)
        finally:
            shutil.rmtree(stage, ignore_errors=True)
    return load_task(dest)


def is_current(instance: Instance, dest: Path) -> bool:
    """Was ``dest`` materialized from exactly this record with the current layout?"""
    stamp = dest / STAMP_FILE
    return stamp.is_file() and stamp.read_text(encoding="utf-8").strip() == instance.digest()


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """One materializer per directory at a time (pytest-xdist workers configure concurrently)."""
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".materialize.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _load_builder(jsonl: Path) -> ModuleType | None:
    """The ``build_mirrors.py`` recipe runner next to the JSONL, if the suite ships one."""
    path = jsonl.parent / BUILDER_FILE
    if not path.is_file():
        return None
    name = "_hybrid_real_prs_builder_" + hashlib.sha256(str(path).encode()).hexdigest()[:12]
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        return None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def ensure_mirrors(instances: list[Instance], jsonl: Path, mirror_dir: Path) -> None:
    """Build (locally, from the suite's recipes) each mirror that is missing or lacks a base commit."""
    stale = sorted({i.repo for i in instances
                    if (m := find_mirror(mirror_dir, i.repo)) is None or not _has_commit(m, i.base_commit)})  # fmt: skip
    if not stale:
        return
    builder = _load_builder(jsonl)
    if builder is None:
        return  # materialize() reports the missing mirror with the fix
    with _locked(mirror_dir):
        builder.build_mirrors(mirror_dir, repos=stale)


def discover_real_prs(jsonl: Path | str, mirror_dir: Path | str | None = None,
                      cache_dir: Path | str | None = None) -> list[Task]:  # fmt: skip
    """Tasks for every instance of ``jsonl``, materialized under ``cache_dir/<task id>`` when stale.

    ``cache_dir`` defaults to ``<mirror dir>/../tasks``; pass the suite directory to get task
    directories that task discovery (``discover_tasks`` over the configured roots) will find.
    """
    jsonl = Path(jsonl).resolve()
    mirrors = Path(mirror_dir) if mirror_dir else default_mirror_dir()
    cache = Path(cache_dir) if cache_dir else mirrors.parent / "tasks"
    instances = load_instances(jsonl)
    tasks: list[Task] = []
    with _locked(cache):
        if not all(is_current(i, cache / i.task_id) for i in instances):
            ensure_mirrors(instances, jsonl, mirrors)
        for inst in instances:
            dest = cache / inst.task_id
            tasks.append(load_task(dest) if is_current(inst, dest) else materialize(inst, mirrors, dest))
    return tasks


def materialize_all(suite_dir: Path | str, mirror_dir: Path | str | None = None) -> list[Task]:
    """Task directories ``<suite_dir>/<task id>/`` for ``<suite_dir>/instances.jsonl`` (git-ignored output)."""
    suite = Path(suite_dir).resolve()
    return discover_real_prs(suite / INSTANCES_FILE, mirror_dir, cache_dir=suite)


def materialize_roots(roots: list[Path | str], mirror_dir: Path | str | None = None) -> list[Task]:
    """Materialize every ``instances.jsonl`` suite found under the task roots (call before discover_tasks)."""
    tasks: list[Task] = []
    for root in roots:
        root = Path(root)
        if not root.is_dir():
            continue
        for jsonl in sorted(root.rglob(INSTANCES_FILE)):
            if not any(part.startswith(".") for part in jsonl.relative_to(root).parts):
                tasks += materialize_all(jsonl.parent, mirror_dir)
        for facts in sorted(root.rglob(upstream.FACTS_FILE)):
            if not (facts.parent / INSTANCES_FILE).is_file() and not any(
                    part.startswith(".") for part in facts.relative_to(root).parts):  # fmt: skip
                tasks += materialize_facts(facts.parent, mirror_dir)
    return tasks


def materialize_facts(suite: Path, mirror_dir: Path | str | None = None) -> list[Task]:
    """Task folders for ``<suite>/facts.jsonl`` (``tasks.upstream``); skipped with one line without the repository."""
    mirrors = Path(mirror_dir) if mirror_dir else default_mirror_dir()
    facts = upstream.load_facts(suite / upstream.FACTS_FILE)
    tasks: list[Task] = []
    with _locked(suite):
        try:
            records = upstream.instance_records(facts, suite, mirrors)
        except upstream.SourceMissing as exc:
            print(f"hybrid-eval: skipped: {exc}", file=sys.stderr)
            return []
        for inst in (Instance.model_validate(r) for r in records):
            dest = suite / inst.task_id
            tasks.append(load_task(dest) if is_current(inst, dest) else materialize(inst, mirrors, dest))
    return tasks
