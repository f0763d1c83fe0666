"""Turn result rows (dicts) into CSV or Markdown text."""

from __future__ import annotations

import csv
import io
from datetime import date


def format_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def normalize_rows(rows: list[dict], columns: list[str], sort_by: str | None = None) -> list[list[str]]:
    """Rows as lists of display strings, in `columns` order, optionally sorted (missing values last)."""
    if sort_by is not None:
        rows = sorted(rows, key=lambda r: (r.get(sort_by) is None, r.get(sort_by)))
    return [[format_cell(row.get(col)) for col in columns] for row in rows]


def export_csv(rows: list[dict], columns: list[str], sort_by: str | None = None) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(normalize_rows(rows, columns, sort_by))
    return buf.getvalue()


def export_markdown(rows: list[dict], columns: list[str], sort_by: str | None = None) -> str:
    if sort_by is not None:
        rows = sorted(rows, key=lambda r: (r.get(sort_by) is None, r.get(sort_by)))
    table = []
    for row in rows:
        cells = []
        for col in columns:
            value = row.get(col)
            if value is None:
                cells.append("")
            elif isinstance(value, bool):
                cells.append("yes" if value else "no")
            elif isinstance(value, float):
                cells.append(f"{value:.2f}")
            elif isinstance(value, date):
                cells.append(value.isoformat())
            else:
                cells.append(str(value).strip())
        table.append([c.replace("|", "\\|") for c in cells])
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    lines += ["| " + " | ".join(cells) + " |" for cells in table]
    return "\n".join(lines) + "\n"
