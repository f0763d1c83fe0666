"""Compatibility facade: the helpers now live in toolbox.text, toolbox.numbers and toolbox.dates."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from toolbox.numbers import clamp, percent
from toolbox.text import slugify, truncate


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
