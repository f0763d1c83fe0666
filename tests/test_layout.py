"""The repository layout the README names: the package list in pyproject.toml, the root conftest's
collection rules and the shared CI command."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _packages_on_disk() -> set[str]:
    """Every folder of the package that holds Python modules, as a dotted package name."""
    pkg = ROOT / "pytest_hybrid_eval"
    return {".".join(d.relative_to(ROOT).parts) for d in [pkg, *pkg.rglob("*")]
            if d.is_dir() and d.name != "__pycache__" and any(d.glob("*.py"))}


def test_pyproject_lists_every_package_folder_and_the_data_folders() -> None:
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(setuptools["packages"])
    data = {"pytest_hybrid_eval._data.router", "pytest_hybrid_eval._data.pricing"}
    assert listed - data == _packages_on_disk(), "pyproject.toml [tool.setuptools] packages is out of date"
    assert setuptools["package-dir"] == {"pytest_hybrid_eval._data.router": "router",
                                         "pytest_hybrid_eval._data.pricing": "pricing"}
    assert not (ROOT / "setup.py").exists()


def test_root_conftest_keeps_task_sources_out_of_collection() -> None:
    """With the plugin off, only the task folders' own parts are left to collect (the plugin ignores those):
    nothing from the libraries' sources, nothing from the mirror builder."""
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:hybrid_eval", "-p", "no:cacheprovider",
         "bench_suites/real_prs"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    seen = [line for line in out.stdout.splitlines() if "bench_suites/real_prs/" in line]
    assert seen, out.stdout
    assert not [line for line in seen if "real_prs/src/" in line or "build_mirrors" in line], out.stdout


def test_ci_entry_points_share_one_command() -> None:
    assert ".ci/test" in (ROOT / "tox.ini").read_text()
    assert ".ci/test" in (ROOT / ".github/workflows/ci.yml").read_text()
    assert "exec .ci/test" in (ROOT / ".ci/run").read_text()
