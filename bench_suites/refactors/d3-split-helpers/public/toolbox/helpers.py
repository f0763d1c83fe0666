"""Everything-helpers. Grew over the years; text, number and date utilities all live here."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta

_SLUG_STRIP = re.compile(r"[^a-z0-9]+")


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _SLUG_STRIP.sub("-", ascii_text.lower()).strip("-")


def truncate(text: str, width: int, ellipsis: str = "...") -> str:
    if len(text) <= width:
        return text
    if width <= len(ellipsis):
        return ellipsis[:width]
    return text[: width - len(ellipsis)].rstrip() + ellipsis


def clamp(value: float, low: float, high: float) -> float:
    if low > high:
        raise ValueError("low must not exceed high")
    return max(low, min(high, value))


def percent(part: float, whole: float, digits: int = 1) -> str:
    if whole == 0:
        return "n/a"
    return f"{100 * part / whole:.{digits}f}%"


def parse_date(text: str) -> date:
    text = text.strip()
    for fmt in ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"unrecognised date {text!r}")


def business_days_between(start: date, end: date) -> int:
    """Weekdays in [start, end)."""
    days = 0
    current = start
    while current < end:
        if current.weekday() < 5:
            days += 1
        current += timedelta(days=1)
    return days
