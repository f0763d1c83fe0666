import pytest

from pennies import Money


def test_even_split() -> None:
    assert Money(1000, "EUR").allocate([1, 1]) == [Money(500, "EUR"), Money(500, "EUR")]


def test_weighted_split() -> None:
    assert Money(1200, "EUR").allocate([2, 1, 1]) == [Money(600, "EUR"), Money(300, "EUR"), Money(300, "EUR")]


def test_zero_ratio_gets_nothing() -> None:
    assert Money(900, "EUR").allocate([1, 0, 2]) == [Money(300, "EUR"), Money(0, "EUR"), Money(600, "EUR")]


@pytest.mark.parametrize(
    ("ratios", "message"),
    [([], "at least one ratio"), ([1, -1], "non-negative"), ([0, 0], "must be positive")],
)
def test_bad_ratios(ratios: list[int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Money(100, "EUR").allocate(ratios)


def test_negative_amount_rejected() -> None:
    with pytest.raises(ValueError, match="non-negative amounts"):
        Money(-100, "EUR").allocate([1, 1])
