"""A script that uses the helpers through the old import path."""

from toolbox.helpers import business_days_between, parse_date, percent, slugify


def summary(title: str, start: str, end: str, done: int, total: int) -> str:
    days = business_days_between(parse_date(start), parse_date(end))
    return f"{slugify(title)}: {days} working days, {percent(done, total)} done"
