"""Print the log entries whose timestamp (in UTC) falls within a date range."""

from __future__ import annotations

import argparse
import re
import sys
from datetime import date, datetime, timezone

STAMP = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:Z|[+-]\d{2}:\d{2}))\s")

def entry_day(stamp: str) -> date:
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return moment.astimezone(timezone.utc).date()

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("logfile")
    parser.add_argument("--since")
    parser.add_argument("--until")
    args = parser.parse_args(argv)
    try:
        since = date.fromisoformat(args.since) if args.since else None
    except ValueError:
        print(f"invalid date: {args.since}", file=sys.stderr)
        return 2
    try:
        until = date.fromisoformat(args.until) if args.until else None
    except ValueError:
        print(f"invalid date: {args.until}", file=sys.stderr)
        return 2

    matched = 0
    keep = False
    out = []
    with open(args.logfile, encoding="utf-8") as fh:
        for line in fh:
            m = STAMP.match(line)
            if m:
                day = entry_day(m.group(1))
                keep = (since is None or day >= since) and (until is None or day < until)
                matched += keep
            if keep:
                out.append(line if line.endswith("\n") else line + "\n")
    sys.stdout.write("".join(out))
    print(f"{matched} entries matched", file=sys.stderr)
    return 0

if __name__ == "__main__":
    sys.exit(main())
