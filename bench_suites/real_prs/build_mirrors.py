"""Build the git mirrors behind the real-prs instances, and (re)generate or check ``instances.jsonl``.

Why a script and not committed repositories: the benchmark must run offline, and binary git objects do
not belong in this repository. Each small library under ``src/<name>/`` carries a ``history.yaml`` that
lists its commits as overlay directories (each commit lays its directory's files over the previous
tree). Author and committer names and dates are fixed, so every machine gets the same commit shas, and
``instances.jsonl`` (committed) records them; ``--check`` proves that a fresh build still matches.

Usage::

    python bench_suites/real_prs/build_mirrors.py                  # build mirrors (default cache dir)
    python bench_suites/real_prs/build_mirrors.py --write          # also regenerate instances.jsonl
    python bench_suites/real_prs/build_mirrors.py --check          # fail if instances.jsonl is stale
    python bench_suites/real_prs/build_mirrors.py --materialize    # lay out task directories here

``FAIL_TO_PASS``/``PASS_TO_PASS`` are not written by hand: ``--write``/``--check`` run the tests at the
base commit (with the test patch applied) and at the fix commit and derive both lists from the outcomes.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
SRC = HERE / "src"
INSTANCES = HERE / "instances.jsonl"
TEST_DIR = "tests"
_EPOCH = 1_709_287_200  # 2024-03-01T10:00:00Z; commit i is dated i days later
_IDENTITY = ("Hybrid Eval Bench", "bench@hybrid-eval.invalid")


@dataclass(frozen=True)
class RepoSpec:
    """One library's recipe: where its overlays live, its commits and the instances cut from them."""

    name: str  # "owner/name", as in the JSONL ``repo`` field
    root: Path
    commits: list[dict[str, str]]
    instances: list[dict[str, Any]]


def default_mirror_root() -> Path:
    """``$HYBRID_EVAL_MIRRORS``, else ``<user cache>/pytest-hybrid-eval/mirrors``."""
    env = os.environ.get("HYBRID_EVAL_MIRRORS")
    if env:
        return Path(env)
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "pytest-hybrid-eval" / "mirrors"


def mirror_path(mirror_root: Path, repo: str) -> Path:
    """``<root>/<owner>/<name>.git`` for ``owner/name`` (SWE-bench style), ``<root>/<name>.git`` otherwise."""
    return Path(mirror_root) / f"{repo}.git"


def load_specs(src_root: Path = SRC) -> list[RepoSpec]:
    """Every ``src/<name>/history.yaml``, sorted by repository name."""
    specs = []
    for path in sorted(Path(src_root).glob("*/history.yaml")):
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        specs.append(RepoSpec(raw["repo"], path.parent, list(raw["commits"]), list(raw.get("instances", []))))
    return specs


def _git_env(when: int) -> dict[str, str]:
    name, email = _IDENTITY
    stamp = f"{when} +0000"
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_AUTHOR_NAME=name, GIT_AUTHOR_EMAIL=email, GIT_AUTHOR_DATE=stamp,
               GIT_COMMITTER_NAME=name, GIT_COMMITTER_EMAIL=email, GIT_COMMITTER_DATE=stamp,
               GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull, GIT_TERMINAL_PROMPT="0")  # fmt: skip
    return env


def git(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None, input: str | None = None) -> str:
    """Run git with user/system config ignored (a user's hooks, signing or diff settings must not leak in)."""
    res = subprocess.run(["git", "-c", "core.autocrlf=false", "-c", "commit.gpgsign=false", *args],
                         cwd=cwd, env=env or _git_env(_EPOCH), input=input, capture_output=True, text=True)  # fmt: skip
    if res.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed: {res.stderr.strip() or res.stdout.strip()}")
    return res.stdout


def _overlay(src: Path, dest: Path) -> None:
    for path in sorted(src.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            target = dest / path.relative_to(src)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())


def build_repo(spec: RepoSpec, dest: Path) -> dict[str, str]:
    """Create the bare repository ``dest`` from the recipe; return overlay dir -> commit sha.

    Built in a temporary directory and renamed into place, so concurrent builders (pytest-xdist workers)
    never see a half-written mirror. Decoy overlays become commits on ``refs/decoys/<dir>`` off the base
    of the instance that names them; they never appear on ``main``.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="hybrid-mirror-", dir=dest.parent) as tmp:
        bare, work = Path(tmp) / "repo.git", Path(tmp) / "work"
        git("init", "-q", "--bare", "-b", "main", str(bare))
        work.mkdir()
        shas: dict[str, str] = {}
        for i, commit in enumerate(spec.commits):
            env = {**_git_env(_EPOCH + i * 86_400), "GIT_DIR": str(bare), "GIT_WORK_TREE": str(work)}
            _overlay(spec.root / commit["dir"], work)
            git("add", "-A", ".", cwd=work, env=env)
            git("commit", "-q", "--no-verify", "-m", commit["message"], cwd=work, env=env)
            shas[commit["dir"]] = git("rev-parse", "HEAD", env=env).strip()
        for j, inst in enumerate(spec.instances):
            if not inst.get("decoy"):
                continue
            env = {**_git_env(_EPOCH + (len(spec.commits) + j) * 86_400), "GIT_DIR": str(bare),
                   "GIT_WORK_TREE": str(work)}  # fmt: skip
            git("read-tree", shas[inst["base"]], env=env)
            git("checkout-index", "-a", "-f", env=env)
            _overlay(spec.root / inst["decoy"], work)
            git("add", "-A", ".", cwd=work, env=env)
            tree = git("write-tree", env=env).strip()
            sha = git("commit-tree", tree, "-p", shas[inst["base"]], "-m", f"decoy for {inst['instance_id']}", env=env).strip()
            git("update-ref", f"refs/decoys/{inst['decoy']}", sha, env=env)
            shas[inst["decoy"]] = sha
        (bare / "index").unlink(missing_ok=True)
        git("--git-dir", str(bare), "symbolic-ref", "HEAD", "refs/heads/main")
        if dest.exists():
            shutil.rmtree(dest)
        try:
            bare.rename(dest)
        except OSError:
            if not dest.is_dir():  # a concurrent builder won the race with identical content
                raise
    return shas


def build_mirrors(mirror_root: Path | None = None, repos: list[str] | None = None,
                  src_root: Path = SRC) -> dict[str, dict[str, str]]:  # fmt: skip
    """(Re)build the mirrors of ``repos`` (all when None) under ``mirror_root``; repo -> dir -> sha."""
    root = Path(mirror_root) if mirror_root else default_mirror_root()
    out = {}
    for spec in load_specs(src_root):
        if repos is None or spec.name in repos:
            out[spec.name] = build_repo(spec, mirror_path(root, spec.name))
    return out


def _diff(mirror: Path, a: str, b: str, paths: list[str]) -> str:
    """A stable unified diff (full index, no renames, default algorithm) of ``a..b`` limited to ``paths``."""
    return git("--git-dir", str(mirror), "diff", "--no-color", "--no-ext-diff", "--no-renames", "--full-index",
               "--diff-algorithm=myers", "--src-prefix=a/", "--dst-prefix=b/", a, b, "--", *paths)  # fmt: skip


def _changed(mirror: Path, a: str, b: str) -> list[str]:
    return sorted(git("--git-dir", str(mirror), "diff", "--name-only", "--no-renames", a, b).split())


def _outcomes(mirror: Path, commit: str, patch: str) -> dict[str, bool]:
    """Node id -> passed, running the repo's tests at ``commit`` with ``patch`` applied (our own code only)."""
    from pytest_hybrid_eval.scoring.junit import junit_key, parse_junit

    with tempfile.TemporaryDirectory(prefix="hybrid-outcomes-") as tmp:
        work = Path(tmp) / "work"
        git("clone", "-q", "--shared", "--no-checkout", str(mirror), str(work))
        git("checkout", "-q", "--detach", commit, cwd=work)
        if patch:
            git("apply", "--whitespace=nowarn", "-", cwd=work, input=patch)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "HYBRID_"))}
        env.update(PYTEST_DISABLE_PLUGIN_AUTOLOAD="1", PYTHONDONTWRITEBYTECODE="1")
        base = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--import-mode=importlib", TEST_DIR]
        collected = subprocess.run([*base, "--collect-only", "-q"], cwd=work, env=env, capture_output=True, text=True)
        ids = [ln for ln in collected.stdout.splitlines() if "::" in ln]
        report = Path(tmp) / "report.xml"
        subprocess.run([*base, "-q", f"--junitxml={report}"], cwd=work, env=env, capture_output=True, text=True)
        outcomes = parse_junit(report).outcomes
    return {nodeid: outcomes.get(junit_key(nodeid), False) for nodeid in ids}


def make_instances(mirror_root: Path, src_root: Path = SRC) -> list[dict[str, Any]]:
    """The instance records for every recipe, computed from the mirrors (which must already exist)."""
    records = []
    for spec in load_specs(src_root):
        mirror = mirror_path(mirror_root, spec.name)
        for inst in spec.instances:
            base, fix = (_rev(mirror, spec, inst[k]) for k in ("base", "fix"))
            changed = _changed(mirror, base, fix)
            tests = [p for p in changed if p.split("/")[0] == TEST_DIR]
            code = [p for p in changed if p not in tests]
            test_patch = _diff(mirror, base, fix, tests)
            before, after = _outcomes(mirror, base, test_patch), _outcomes(mirror, fix, "")
            record: dict[str, Any] = {
                "instance_id": inst["instance_id"],
                "repo": spec.name,
                "base_commit": base,
                "problem_statement": inst["problem_statement"],
                "patch": _diff(mirror, base, fix, code),
                "test_patch": test_patch,
                "FAIL_TO_PASS": sorted(n for n, ok in after.items() if ok and not before.get(n, False)),
                "PASS_TO_PASS": sorted(n for n, ok in after.items() if ok and before.get(n, False)),
                "difficulty": inst["difficulty"],
                "editable": code,
            }
            if inst.get("decoy"):
                record["decoy_patch"] = _diff(mirror, base, f"refs/decoys/{inst['decoy']}", code)
            records.append(record)
    return records


def _rev(mirror: Path, spec: RepoSpec, overlay_dir: str) -> str:
    """The sha of the commit built from ``overlay_dir`` (found by its message, unique within a recipe)."""
    message = next(c["message"] for c in spec.commits if c["dir"] == overlay_dir)
    for line in git("--git-dir", str(mirror), "log", "--format=%H %s", "main").splitlines():
        sha, _, subject = line.partition(" ")
        if subject == message:
            return sha
    raise RuntimeError(f"{mirror}: no commit for overlay {overlay_dir!r}; rebuild the mirror")


def dump_instances(records: list[dict[str, Any]]) -> str:
    """JSONL text: one record per line, keys in a fixed order, so diffs of the file stay readable."""
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def check(mirror_root: Path, jsonl: Path = INSTANCES) -> list[str]:
    """Differences between a fresh build and the committed ``instances.jsonl`` (empty = up to date)."""
    fresh = make_instances(mirror_root)
    committed = [json.loads(ln) for ln in jsonl.read_text(encoding="utf-8").splitlines() if ln.strip()]
    problems = []
    if [r["instance_id"] for r in fresh] != [r["instance_id"] for r in committed]:
        problems.append("instance ids differ; run build_mirrors.py --write")
    for new, old in zip(fresh, committed, strict=False):
        for key in sorted(set(new) | set(old)):
            if new.get(key) != old.get(key):
                problems.append(f"{old.get('instance_id')}: field {key!r} differs from a fresh build")
    return problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mirrors", type=Path, default=None, help="mirror root (default: $HYBRID_EVAL_MIRRORS or cache)")
    ap.add_argument("--write", action="store_true", help="regenerate instances.jsonl from the fresh mirrors")
    ap.add_argument("--check", action="store_true", help="exit 1 if instances.jsonl does not match a fresh build")
    ap.add_argument("--materialize", action="store_true", help="lay out task directories next to this script")
    args = ap.parse_args(argv)
    root = args.mirrors or default_mirror_root()
    built = build_mirrors(root)
    for repo, shas in built.items():
        print(f"{mirror_path(root, repo)}: " + ", ".join(f"{d}={s[:12]}" for d, s in shas.items()))
    if args.write:
        INSTANCES.write_text(dump_instances(make_instances(root)), encoding="utf-8")
        print(f"wrote {INSTANCES}")
    if args.check:
        problems = check(root)
        for p in problems:
            print(f"STALE: {p}", file=sys.stderr)
        if problems:
            return 1
        print(f"{INSTANCES.name} matches a fresh build")
    if args.materialize:
        from pytest_hybrid_eval.tasks.real_prs import materialize_all

        for task in materialize_all(HERE, mirror_dir=root):
            print(f"materialized {task.id} -> {task.root}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
