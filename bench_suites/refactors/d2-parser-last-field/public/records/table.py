from __future__ import annotations

from records.split import split_line


class TableError(ValueError):
    pass


def read_table(text: str, sep: str = ",") -> list[dict[str, str]]:
    """Parse a header line plus data lines into dicts. Blank lines are skipped."""
    lines = [ln.rstrip("\r\n") for ln in text.splitlines()]
    lines = [ln for ln in lines if ln.strip()]
    if not lines:
        return []
    header = split_line(lines[0], sep)
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        fields = split_line(line, sep)
        if len(fields) != len(header):
            raise TableError(f"line {number}: {len(fields)} fields, header has {len(header)}")
        rows.append(dict(zip(header, fields)))
    return rows
