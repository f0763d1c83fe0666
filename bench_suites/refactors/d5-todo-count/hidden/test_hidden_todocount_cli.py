import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*args):
    return subprocess.run(
        [sys.executable, str(ROOT / "todocount.py"), *args], cwd=ROOT, capture_output=True, text=True, timeout=30
    )


def write(base, rel, text):
    p = base / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        p.write_bytes(text)
    else:
        p.write_text(text, encoding="utf-8")


def test_only_whole_uppercase_words_count(tmp_path):
    write(tmp_path, "a.txt", "TODOS are not markers; todo neither; XTODO no; TODO_LIST no\nTODO: yes FIXME! yes\n")
    write(tmp_path, "b.txt", "FIXMEs no; (FIXME) yes; TODO.\n")
    r = run(str(tmp_path))
    assert r.stdout == (
        "a.txt: 2 (TODO 1, FIXME 1)\n"
        "b.txt: 2 (TODO 1, FIXME 1)\n"
        "total: 4 (TODO 2, FIXME 2) in 2 files\n"
    )


def test_hidden_entries_and_binary_files_are_skipped(tmp_path):
    write(tmp_path, ".git/HEAD", "TODO TODO\n")
    write(tmp_path, "src/.cache/x.py", "# TODO\n")
    write(tmp_path, ".env", "FIXME\n")
    write(tmp_path, "img.bin", b"\xff\xfeTODO\x00\x80")
    write(tmp_path, "src/main.py", "# FIXME\n")
    r = run(str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert r.stdout == "src/main.py: 1 (TODO 0, FIXME 1)\ntotal: 1 (TODO 0, FIXME 1) in 1 files\n"


def test_ties_sorted_by_path_and_empty_tree(tmp_path):
    write(tmp_path, "z/one.md", "TODO\n")
    write(tmp_path, "a/two.md", "FIXME TODO\n")
    write(tmp_path, "b.md", "TODO\n")
    write(tmp_path, "a/clean.md", "done\n")
    r = run(str(tmp_path))
    assert r.stdout == (
        "a/two.md: 2 (TODO 1, FIXME 1)\n"
        "b.md: 1 (TODO 1, FIXME 0)\n"
        "z/one.md: 1 (TODO 1, FIXME 0)\n"
        "total: 4 (TODO 3, FIXME 1) in 3 files\n"
    )
    empty = tmp_path / "empty"
    empty.mkdir()
    r2 = run(str(empty))
    assert r2.returncode == 0
    assert r2.stdout == "total: 0 (TODO 0, FIXME 0) in 0 files\n"
