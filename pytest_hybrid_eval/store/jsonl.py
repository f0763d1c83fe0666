"""Line splitting and the wording of a bad line, shared by every reader of a results file.

Our rows (store.rows) and hybrid-coding-eval's rows (store.hybrid_coding_eval) are both JSON Lines; a
user who feeds either a broken file gets the same ``<file>:<line>: <what>; <fix>`` message.
"""

from __future__ import annotations

from pathlib import Path

from pytest_hybrid_eval.errors import ResultsError


def line_error(path: Path, lineno: int, what: str, fix: str = "fix or remove that line") -> ResultsError:
    """The one wording of a bad line: file, 1-based line number, what is wrong, the fix."""
    return ResultsError(f"{path}:{lineno}: {what}; {fix}")


def jsonl_lines(path: Path) -> tuple[list[tuple[int, bytes]], bool]:
    """The non-blank lines of a JSONL file with their 1-based numbers, and whether its tail is torn.

    A last line with no newline after it is what a crash mid-write leaves; it is returned too (the caller
    decides whether it parses) and reported as possibly torn. Bytes, not text: a line that is not UTF-8 is
    then one line's error instead of a decode error for the whole file.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ResultsError(f"{path}: cannot be read ({exc.strerror or exc}); "
                           "pass a readable raw.jsonl or the sweep directory holding it") from None
    chunks = data.split(b"\n")
    open_tail = bool(chunks) and chunks[-1].strip() != b""
    return [(i, c) for i, c in enumerate(chunks, start=1) if c.strip()], open_tail
