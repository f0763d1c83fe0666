"""A small grep: search files for a literal string (see the task description)."""

from __future__ import annotations


def grep(pattern: str, flags: list[str], files: list[str]) -> str:
    """Return the selected lines (or file names) of `files`, one per line, each ending in a newline."""
    return ""
