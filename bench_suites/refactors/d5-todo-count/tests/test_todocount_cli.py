import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*args):
    return subprocess.run(
        [sys.executable, str(ROOT / "todocount.py"), *args], cwd=ROOT, capture_output=True, text=True, timeout=30
    )


def test_sample_tree_report():
    r = run("sample")
    assert r.returncode == 0, r.stderr
    assert r.stdout == (
        "src/pkg/core.py: 4 (TODO 3, FIXME 1)\n"
        "docs/notes.md: 1 (TODO 1, FIXME 0)\n"
        "src/pkg/util.py: 1 (TODO 0, FIXME 1)\n"
        "total: 6 (TODO 4, FIXME 2) in 3 files\n"
    )


def test_missing_directory_is_usage_error(tmp_path):
    r = run(str(tmp_path / "nope"))
    assert r.returncode == 2
    assert r.stdout == ""
    assert "usage" in r.stderr.lower()
