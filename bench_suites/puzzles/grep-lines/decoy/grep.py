"""A small grep: search files for a literal string (see the task description)."""

from __future__ import annotations

KNOWN_FLAGS = {"-n", "-i", "-v", "-x", "-l"}


def grep(pattern: str, flags: list[str], files: list[str]) -> str:
    """Return the selected lines (or file names) of `files`, one per line, each ending in a newline."""
    for flag in flags:
        if flag not in KNOWN_FLAGS:
            raise ValueError(f"unknown flag: {flag}")
    number = "-n" in flags
    ignore_case = "-i" in flags
    invert = "-v" in flags
    whole = "-x" in flags
    names_only = "-l" in flags
    many = len(files) > 1
    needle = pattern.lower() if ignore_case else pattern

    out: list[str] = []
    for name in files:
        with open(name, encoding="utf-8") as fh:
            lines = fh.read().splitlines()
        for lineno, line in enumerate(lines, start=1):
            hay = line.lower() if ignore_case else line
            hit = line == pattern if whole else needle in hay
            if hit == invert:
                continue
            if names_only:
                out.append(name)
                break
            prefix = f"{name}:" if many else ""
            if number:
                prefix += f"{lineno}:"
            out.append(prefix + line)
    return "".join(item + "\n" for item in out)
