import pytest
from roman import from_roman, to_roman


@pytest.mark.parametrize(
    ("n", "s"),
    [(1, "I"), (4, "IV"), (9, "IX"), (14, "XIV"), (40, "XL"), (90, "XC"), (400, "CD"),
     (444, "CDXLIV"), (900, "CM"), (1666, "MDCLXVI"), (2024, "MMXXIV"), (3999, "MMMCMXCIX")],
)
def test_both_directions(n, s):
    assert to_roman(n) == s
    assert from_roman(s) == n


def test_round_trip_all():
    for n in range(1, 4000):
        assert from_roman(to_roman(n)) == n


@pytest.mark.parametrize("bad", [-5, 4000, 2.0, True, "12"])
def test_to_roman_rejects(bad):
    with pytest.raises(ValueError) as info:
        to_roman(bad)
    assert str(info.value) == f"cannot write {bad!r} as a roman numeral"


@pytest.mark.parametrize("bad", ["", "iv", "ABC", "IIII", "VV", "IC", "XM", "IIX", "MMMM", "VX", "XIIII", " X"])
def test_from_roman_rejects_non_standard(bad):
    with pytest.raises(ValueError) as info:
        from_roman(bad)
    assert str(info.value) == f"invalid roman numeral: {bad!r}"
