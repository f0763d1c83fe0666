"""Compatibility facade: the helpers now live in toolbox.text, toolbox.numbers and toolbox.dates."""

from toolbox.dates import business_days_between, parse_date
from toolbox.numbers import clamp, percent
from toolbox.text import slugify, truncate

__all__ = ["business_days_between", "clamp", "parse_date", "percent", "slugify", "truncate"]
