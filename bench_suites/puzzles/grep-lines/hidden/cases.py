"""Checks for grep-lines, run by the cases scorer: each case writes its input files into a fresh temporary
directory (the sandbox has a private /tmp), runs ``grep`` there and returns what it produced; the
``expect=`` literals are stripped before this file enters the sandbox and compared outside it."""

import contextlib
import os
import tempfile
from pathlib import Path

from grep import grep
from hybrid_cases import attempt, case, raised

POEM = {"poem.txt": "The quick brown fox\njumps over\nthe lazy dog\nQuick thinking\n"}

FILES = {
    "a.txt": "alpha\nBeta\nbeta gamma\nALPHA\n",
    "b.txt": "gamma\nalphabet\n",
    "c.txt": "nothing here\n",
}


@contextlib.contextmanager
def workdir(files):
    """A fresh temporary directory holding ``files`` (name -> text), as the working directory."""
    old = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="grep-case-") as tmp:
        for name, text in files.items():
            Path(tmp, name).write_text(text, encoding="utf-8")
        os.chdir(tmp)
        try:
            yield
        finally:
            os.chdir(old)


# -- the visible tests, repeated: the verdict comes only from here --------------------------------------


@case(expect="The quick brown fox\n")
def visible_plain_match():
    with workdir(POEM):
        return grep("quick", [], ["poem.txt"])


@case(expect="3:the lazy dog\n")
def visible_line_numbers():
    with workdir(POEM):
        return grep("the", ["-n"], ["poem.txt"])


@case(expect="")
def visible_no_match_gives_empty_string():
    with workdir(POEM):
        return grep("cat", [], ["poem.txt"])


# -- hidden --------------------------------------------------------------------------------------------


@case(expect="alpha\nALPHA\n")
def case_insensitive():
    with workdir(FILES):
        return grep("alpha", ["-i"], ["a.txt"])


@case(expect="alpha\nBeta\nALPHA\n")
def invert():
    with workdir(FILES):
        return grep("beta", ["-v"], ["a.txt"])


@case(expect=["", "a.txt:alpha\n"])
def whole_line():
    with workdir(FILES):
        return [grep("beta", ["-x"], ["a.txt"]), grep("alpha", ["-x"], ["a.txt", "b.txt"])]


@case(expect="2:Beta\n")
def whole_line_case_insensitive():
    with workdir(FILES):
        return grep("BETA", ["-x", "-i", "-n"], ["a.txt"])


@case(expect="a.txt:3:beta gamma\nb.txt:1:gamma\n")
def multiple_files_prefix_name_then_number():
    with workdir(FILES):
        return grep("gamma", ["-n"], ["a.txt", "b.txt", "c.txt"])


@case(expect=["b.txt\nc.txt\na.txt\n", "a.txt\nb.txt\n"])
def files_only_each_once_in_given_order():
    with workdir(FILES):
        return [grep("e", ["-l"], ["b.txt", "c.txt", "a.txt"]),
                grep("alpha", ["-l", "-i"], ["c.txt", "a.txt", "b.txt"])]


@case(expect=["a.txt\nb.txt\nc.txt\n", ""])
def files_only_with_invert():
    with workdir(FILES):
        return [grep("gamma", ["-l", "-v", "-x"], ["a.txt", "b.txt", "c.txt"]),
                grep("nothing here", ["-l", "-v", "-x"], ["c.txt"])]


@case(expect=["a.txt:2:Beta\na.txt:3:beta gamma\nb.txt:1:gamma\n"] * 2)
def all_flags_combined_order_independent():
    with workdir(FILES):
        return [grep("ALPHA", ["-v", "-n", "-i"], ["a.txt", "b.txt"]),
                grep("ALPHA", ["-i", "-v", "-n"], ["a.txt", "b.txt"])]


@case(expect=["a.c\n", "(x)\n"])
def pattern_is_literal_not_regex():
    with workdir({**FILES, "r.txt": "a.c\nabc\n(x)\n"}):
        return [grep("a.c", [], ["r.txt"]), grep("(x)", ["-x"], ["r.txt"])]


@case(expect=raised("ValueError", "unknown flag: -q"))
def unknown_flag():
    with workdir(FILES):
        return attempt(grep, "a", ["-n", "-q"], ["a.txt"])


@case(expect=raised("FileNotFoundError"))
def missing_file():
    with workdir(FILES):
        return attempt(grep, "a", [], ["a.txt", "missing.txt"])


@case(expect="1:one\n2:two\n")
def file_without_trailing_newline():
    with workdir({**FILES, "t.txt": "one\ntwo"}):
        return grep("o", ["-n"], ["t.txt"])
