import pytest
from roman import from_roman, to_roman


def test_to_roman_examples():
    assert to_roman(3) == "III"
    assert to_roman(1994) == "MCMXCIV"


def test_from_roman_examples():
    assert from_roman("XLII") == 42


def test_out_of_range():
    with pytest.raises(ValueError, match="cannot write 0 as a roman numeral"):
        to_roman(0)
