"""Date helpers."""

from toolbox.helpers import business_days_between, parse_date

__all__ = ["business_days_between", "parse_date"]
