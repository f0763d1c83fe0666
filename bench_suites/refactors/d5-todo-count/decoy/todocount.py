"""Count TODO and FIXME markers in the text files of a directory tree."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

MARKER = re.compile(r"(TODO|FIXME)")


def count_file(path: Path) -> tuple[int, int] | None:
    try:
        text = path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        return None
    todo = fixme = 0
    for m in MARKER.finditer(text):
        if m.group(1) == "TODO":
            todo += 1
        else:
            fixme += 1
    return todo, fixme


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not Path(argv[0]).is_dir():
        print("usage: todocount.py DIRECTORY", file=sys.stderr)
        return 2
    root = Path(argv[0])
    rows = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in filenames:
            if name.startswith("."):
                continue
            path = Path(dirpath) / name
            counts = count_file(path)
            if counts and sum(counts):
                rows.append((path.relative_to(root).as_posix(), *counts))
    rows.sort(key=lambda r: (-(r[1] + r[2]), r[0]))
    for rel, todo, fixme in rows:
        print(f"{rel}: {todo + fixme} (TODO {todo}, FIXME {fixme})")
    total_todo = sum(r[1] for r in rows)
    total_fixme = sum(r[2] for r in rows)
    print(f"total: {total_todo + total_fixme} (TODO {total_todo}, FIXME {total_fixme}) in {len(rows)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
