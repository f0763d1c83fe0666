"""Remove duplicate rows from a CSV file, judging duplicates by one or more key columns."""

from __future__ import annotations

import argparse
import csv
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path")
    parser.add_argument("--key", required=True, help="comma-separated key column names")
    parser.add_argument("--keep", choices=("first", "last"), default="first")
    args = parser.parse_args(argv)

    with open(args.path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    if not rows:
        return 0
    header, body = rows[0], rows[1:]
    key_cols = [c.strip() for c in args.key.split(",")]
    indexes = [header.index(col) for col in key_cols]

    def key_of(row: list[str]) -> tuple[str, ...]:
        return tuple(row[i].strip().casefold() if i < len(row) else "" for i in indexes)

    chosen: dict[tuple[str, ...], int] = {}
    for pos, row in enumerate(body):
        k = key_of(row)
        if args.keep == "last" or k not in chosen:
            chosen[k] = pos
    kept = list(chosen.values())

    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(header)
    for pos in kept:
        writer.writerow(body[pos])
    print(f"removed {len(body) - len(kept)} duplicate rows", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
