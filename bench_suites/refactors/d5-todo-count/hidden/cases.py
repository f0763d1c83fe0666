"""Checks for d5-todo-count, run by the cases scorer. Each case builds its input tree in a private temporary
directory (or uses the public sample/), runs the candidate's `todocount.py` in a child process and returns
what it observed (exit code, stdout, stderr); the ``expect=`` literals are stripped before this file enters
the sandbox and compared outside it."""

import os
import subprocess
import sys
import tempfile

from hybrid_cases import case

ROOT = os.getcwd()  # the scoring tree: the candidate's todocount.py and the public sample/ sit here


def run(*args):
    return subprocess.run([sys.executable, os.path.join(ROOT, "todocount.py"), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=30)


def write(base, rel, content):
    path = os.path.join(base, *rel.split("/"))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if isinstance(content, bytes):
        with open(path, "wb") as fh:
            fh.write(content)
    else:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(content)


# -- the visible tests, repeated: the verdict comes only from here --------------------------------------


@case(expect=[0, "src/pkg/core.py: 4 (TODO 3, FIXME 1)\n"
                 "docs/notes.md: 1 (TODO 1, FIXME 0)\n"
                 "src/pkg/util.py: 1 (TODO 0, FIXME 1)\n"
                 "total: 6 (TODO 4, FIXME 2) in 3 files\n"], timeout=40)
def visible_sample_tree_report():
    r = run("sample")
    return [r.returncode, r.stdout]


@case(check="usage_error", timeout=40)
def visible_missing_directory_is_usage_error():
    with tempfile.TemporaryDirectory() as tmp:
        r = run(os.path.join(tmp, "nope"))
    return [r.returncode, r.stdout, r.stderr]


# -- hidden --------------------------------------------------------------------------------------------


@case(expect="a.txt: 2 (TODO 1, FIXME 1)\n"
             "b.txt: 2 (TODO 1, FIXME 1)\n"
             "total: 4 (TODO 2, FIXME 2) in 2 files\n", timeout=40)
def only_whole_uppercase_words_count():
    with tempfile.TemporaryDirectory() as tmp:
        write(tmp, "a.txt", "TODOS are not markers; todo neither; XTODO no; TODO_LIST no\nTODO: yes FIXME! yes\n")
        write(tmp, "b.txt", "FIXMEs no; (FIXME) yes; TODO.\n")
        r = run(tmp)
    return r.stdout


@case(expect=[0, "src/main.py: 1 (TODO 0, FIXME 1)\ntotal: 1 (TODO 0, FIXME 1) in 1 files\n"], timeout=40)
def hidden_entries_and_binary_files_are_skipped():
    with tempfile.TemporaryDirectory() as tmp:
        write(tmp, ".git/HEAD", "TODO TODO\n")
        write(tmp, "src/.cache/x.py", "# TODO\n")
        write(tmp, ".env", "FIXME\n")
        write(tmp, "img.bin", b"\xff\xfeTODO\x00\x80")
        write(tmp, "src/main.py", "# FIXME\n")
        r = run(tmp)
    return [r.returncode, r.stdout]


@case(expect=["a/two.md: 2 (TODO 1, FIXME 1)\n"
              "b.md: 1 (TODO 1, FIXME 0)\n"
              "z/one.md: 1 (TODO 1, FIXME 0)\n"
              "total: 4 (TODO 3, FIXME 1) in 3 files\n",
              0, "total: 0 (TODO 0, FIXME 0) in 0 files\n"], timeout=40)
def ties_sorted_by_path_and_empty_tree():
    with tempfile.TemporaryDirectory() as tmp:
        write(tmp, "z/one.md", "TODO\n")
        write(tmp, "a/two.md", "FIXME TODO\n")
        write(tmp, "b.md", "TODO\n")
        write(tmp, "a/clean.md", "done\n")
        r = run(tmp)
        empty = os.path.join(tmp, "empty")
        os.mkdir(empty)
        r2 = run(empty)
    return [r.stdout, r2.returncode, r2.stdout]
