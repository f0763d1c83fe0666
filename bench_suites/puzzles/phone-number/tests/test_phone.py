import pytest
from phone import clean_phone, format_phone


def test_clean_with_punctuation():
    assert clean_phone("(223) 456-7890") == "2234567890"


def test_country_code_dropped():
    assert clean_phone("+1 223.456.7890") == "2234567890"


def test_too_few_digits():
    with pytest.raises(ValueError, match="phone number has too few digits"):
        clean_phone("223 456 789")


def test_format():
    assert format_phone("223-456-7890") == "(223) 456-7890"
