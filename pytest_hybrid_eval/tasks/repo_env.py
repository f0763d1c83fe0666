"""The Python environment a real repository's tests need, installed once outside the sandbox and cached.

Why not an editable install into a virtualenv: the ``pytest`` scorer runs the harness's own interpreter
with a guard that ends the run when an import hook appears (``scoring.guardplugin``), and modern editable
installs are exactly that (a finder on ``sys.meta_path``); an editable install would also import the
cached checkout rather than the candidate's files. So the environment holds the repository's *test
dependencies* only (``pip install --target`` from the package registry), and the repository itself is put
on ``sys.path`` from the scoring tree by a small conftest (``bootstrap_conftest``): the effect of an
editable install, with the candidate's code as the code imported.

Environments are keyed by (repository, environment commit, Python) and live under ``$HYBRID_EVAL_ENVS``
or ``/var/tmp/pytest-hybrid-eval-<uid>/envs``: not under a home directory, because the bwrap sandbox
hides homes and binds the rest of the file system read-only, which is how the environment reaches the
scoring sandbox (read-only). A dependency set that pip cannot install on this Python is cached as a
failure with pip's last line as the reason, so the next commit with the same set is skipped at once.
"""

from __future__ import annotations

import configparser
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from pydantic import BaseModel

#: distributions the scoring interpreter already provides; a second copy on sys.path would shadow them
PYTEST_OWN = frozenset({"pytest", "pluggy", "iniconfig", "packaging", "exceptiongroup", "tomli", "colorama",
                        "pygments", "pytest-xdist", "execnet"})  # fmt: skip
#: development tools that tox and requirements files list next to test dependencies; tests never import them
TOOLS = frozenset({"coverage", "pytest-cov", "ruff", "flake8", "mypy", "black", "isort", "pre-commit", "tox",
                   "pyright", "pylint", "sphinx", "twine", "build", "wheel", "setuptools", "pip-tools"})  # fmt: skip
_TEST_EXTRAS = frozenset({"test", "tests", "testing"})
_REQ_FILES = ("requirements/test*.txt", "requirements/tests*.txt", "requirements-test*.txt",
              "test-requirements.txt", "requirements_test*.txt")  # fmt: skip


def python_tag() -> str:
    return f"py{sys.version_info.major}.{sys.version_info.minor}"


def env_root() -> Path:
    env = os.environ.get("HYBRID_EVAL_ENVS")
    return Path(env) if env else Path(f"/var/tmp/pytest-hybrid-eval-{os.getuid()}/envs")


def _name(req: str) -> str:
    return re.sub(r"[-_.]+", "-", re.split(r"[\s<>=!~;\[@(]", req.strip(), maxsplit=1)[0]).lower()


def _group(groups: dict, key: str, seen: set[str]) -> list[str]:
    """A PEP 735 dependency group with its ``include-group`` entries expanded."""
    out: list[str] = []
    if key in seen:
        return out
    seen.add(key)
    for item in groups.get(key, []):
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict) and "include-group" in item:
            out += _group(groups, str(item["include-group"]), seen)
    return out


def _requirements_file(path: Path, depth: int = 0) -> list[str]:
    out: list[str] = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        line = line.split(" #", 1)[0].strip()
        if line.startswith(("-r ", "--requirement ")) and depth < 3:
            inc = path.parent / line.split(None, 1)[1]
            out += _requirements_file(inc, depth + 1) if inc.is_file() else []
        elif line and not line.startswith(("#", "-")):
            out.append(line)
    return out


def dependency_spec(checkout: Path) -> list[str]:
    """Requirements for running the tests of the checkout: runtime deps plus test extras/groups/files/tox deps."""
    reqs: list[str] = []
    own: set[str] = set()
    pyproject = checkout / "pyproject.toml"
    if pyproject.is_file():
        try:
            data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            data = {}
        project = data.get("project", {})
        own.add(_name(str(project.get("name", ""))))
        reqs += list(project.get("dependencies", []))
        for key, items in project.get("optional-dependencies", {}).items():
            reqs += list(items) if key in _TEST_EXTRAS else []
        groups = data.get("dependency-groups", {})
        for key in _TEST_EXTRAS:
            reqs += _group(groups, key, set())
    cfg = configparser.ConfigParser(interpolation=None)
    for name in ("setup.cfg", "tox.ini"):
        try:
            cfg.read(checkout / name, encoding="utf-8")
        except (configparser.Error, UnicodeDecodeError):
            continue
    if cfg.has_option("metadata", "name"):
        own.add(_name(cfg.get("metadata", "name")))
    if cfg.has_option("options", "install_requires"):
        reqs += cfg.get("options", "install_requires").splitlines()
    for key in _TEST_EXTRAS:
        if cfg.has_option("options.extras_require", key):
            reqs += cfg.get("options.extras_require", key).splitlines()
    if cfg.has_option("testenv", "deps"):
        reqs += [ln for ln in cfg.get("testenv", "deps").splitlines() if "{" not in ln and not ln.strip().startswith("-")]
    for pattern in _REQ_FILES:
        for path in sorted(checkout.glob(pattern)):
            reqs += _requirements_file(path)
    keep = {r.strip() for r in reqs if r.strip() and _name(r) and _name(r) not in PYTEST_OWN | TOOLS | own}
    return sorted(keep - {""})


class EnvResult(BaseModel):
    """A ready environment (``site`` set) or why it cannot be had (``reason`` set)."""

    key: str
    site: str | None = None
    reason: str | None = None
    spec: list[str] = []
    unpinned: bool = False


def env_key(repo: str, spec: list[str]) -> str:
    """The cache key: the dependency set and Python, so commits that share both share one environment."""
    return hashlib.sha256(json.dumps([repo, python_tag(), spec]).encode()).hexdigest()[:16]


def _pip(target: Path, spec: list[str]) -> str | None:
    if not spec:
        target.mkdir(parents=True, exist_ok=True)
        return None
    argv = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-input",
            "--target", str(target), *spec]  # fmt: skip
    res = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    if res.returncode == 0:
        return None
    lines = [ln for ln in (res.stderr or res.stdout).splitlines() if ln.strip()]
    return lines[-1].strip()[:200] if lines else f"pip exited {res.returncode}"


def ensure_env(repo: str, checkout: Path) -> EnvResult:
    """The environment for the checkout's dependency set, installed on first use (pins first, then unpinned)."""
    spec = dependency_spec(checkout)
    key = env_key(repo, spec)
    home = env_root() / re.sub(r"[^a-z0-9-]+", "-", repo.lower()) / python_tag() / key
    meta = home / "env.json"
    if meta.is_file():
        return EnvResult.model_validate_json(meta.read_text(encoding="utf-8"))
    stage = home.with_name(key + f".tmp{os.getpid()}")
    shutil.rmtree(stage, ignore_errors=True)
    why = _pip(stage / "site", spec)
    loose = sorted({_name(r) for r in spec})
    result = EnvResult(key=key, spec=spec)
    if why is not None and loose != spec:
        shutil.rmtree(stage, ignore_errors=True)
        result = EnvResult(key=key, spec=spec, unpinned=True)
        why = _pip(stage / "site", loose)
    if why is not None:
        result = result.model_copy(update={"reason": f"dependencies do not install on {python_tag()}: {why}"})
    else:
        result = result.model_copy(update={"site": str(home / "site")})
    stage.mkdir(parents=True, exist_ok=True)
    (stage / "env.json").write_text(result.model_dump_json(), encoding="utf-8")
    if home.exists():
        shutil.rmtree(stage, ignore_errors=True)  # another process finished first: keep its result
        return EnvResult.model_validate_json(meta.read_text(encoding="utf-8"))
    stage.rename(home)
    return result


def import_roots(checkout: Path) -> list[str]:
    """Where the repository's packages import from: ``src`` for a src layout, else the top directory."""
    src = checkout / "src"
    if src.is_dir() and any((p / "__init__.py").is_file() or p.suffix == ".py" for p in src.iterdir()):
        return ["src"]
    return [""]


def shadowed_packages(checkout: Path) -> list[str]:
    """Top-level packages of the repository that pytest itself imports first (they cannot be scored in-process)."""
    names: list[str] = []
    for root in import_roots(checkout):
        base = checkout / root if root else checkout
        names += [p.name for p in base.iterdir() if (p / "__init__.py").is_file()]
    return sorted(n for n in names if n in {"pytest", "_pytest", "pluggy", "iniconfig", "packaging"})


def env_size(root: Path | None = None) -> int:
    """Bytes under the environment cache (for the miner's report)."""
    base = root or env_root()
    return sum(p.stat().st_size for p in base.rglob("*") if p.is_file() and not p.is_symlink()) if base.is_dir() else 0


_BOOTSTRAP = '''# -- added by pytest-hybrid-eval; not part of the repository ------------------------------------------
# Puts the repository's import root and its cached test dependencies on sys.path (what an editable
# install does) and keeps only this instance's tests of this directory when a list is given.
import re as _hybrid_re
import sys as _hybrid_sys
from pathlib import Path as _HybridPath

_HYBRID_TREE = _HybridPath(__file__).resolve().parent.parent
_hybrid_sys.path[:0] = [str(_HYBRID_TREE / _p) for _p in {roots!r}] + {site!r}
_HYBRID_DIR = _HybridPath(__file__).resolve().parent
_HYBRID_KEEP = {keep!r}


def pytest_collection_modifyitems(config, items):
    if _HYBRID_KEEP is None:
        return
    kept, dropped = [], []
    for item in items:  # only the instance's test files are filtered (the harness adds files of its own)
        path = _HybridPath(str(item.path)).resolve()
        if _HYBRID_DIR not in path.parents:
            kept.append(item)
            continue
        name = item.nodeid.split("::", 1)[1] if "::" in item.nodeid else ""
        rel = path.relative_to(_HYBRID_DIR).as_posix()
        # the scorer's canaries clone kept tests under the same name plus a 6-hex suffix: they stay too
        base = _hybrid_re.sub(r"_[0-9a-f]{{6}}(?=::|\\[|$)", "", name)
        keep = rel not in {{k.split("::", 1)[0] for k in _HYBRID_KEEP}} or rel + "::" + base in _HYBRID_KEEP
        (kept if keep else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
# -- end of pytest-hybrid-eval's addition ----------------------------------------------------------------

'''


def bootstrap_conftest(roots: list[str], site: str | None, keep: list[str] | None) -> str:
    """The conftest header; ``keep`` lists ``file.py::name`` ids relative to the test directory (None = all)."""
    return _BOOTSTRAP.format(roots=roots, site=[site] if site else [], keep=sorted(keep) if keep is not None else None)
