from datetime import date

import pytest
from report import summary
from toolbox.helpers import business_days_between, clamp, parse_date, percent, slugify, truncate


def test_text_helpers():
    assert slugify("  Crème Brûlée & Co. 2024 ") == "creme-brulee-co-2024"
    assert truncate("hello world", 8) == "hello..."
    assert truncate("short", 10) == "short"
    assert truncate("abcdef", 2) == ".."


def test_number_helpers():
    assert clamp(15, 0, 10) == 10
    assert clamp(-1, 0, 10) == 0
    with pytest.raises(ValueError):
        clamp(1, 5, 0)
    assert percent(1, 3) == "33.3%"
    assert percent(1, 0) == "n/a"


def test_date_helpers():
    assert parse_date("2024-03-01") == date(2024, 3, 1)
    assert parse_date("01.03.2024") == date(2024, 3, 1)
    assert parse_date(" 01/03/2024") == date(2024, 3, 1)
    with pytest.raises(ValueError):
        parse_date("March 1st")
    assert business_days_between(date(2024, 3, 1), date(2024, 3, 11)) == 6


def test_report_script_still_works():
    assert summary("Q1 Close!", "2024-03-01", "11.03.2024", 2, 8) == "q1-close: 6 working days, 25.0% done"
