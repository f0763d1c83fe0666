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


def test_leftover_cents_go_to_first_shares() -> None:
    assert Money(100, "EUR").allocate([1, 1, 1]) == [Money(34, "EUR"), Money(33, "EUR"), Money(33, "EUR")]
    assert Money(5, "EUR").allocate([3, 7]) == [Money(2, "EUR"), Money(3, "EUR")]


def test_split_of_two_cents_in_three() -> None:
    assert [m.cents for m in Money(2, "USD").allocate([1, 1, 1])] == [1, 1, 0]


def test_zero_ratio_never_receives_leftover() -> None:
    assert [m.cents for m in Money(2, "USD").allocate([1, 0, 1, 1])] == [1, 0, 1, 0]


@pytest.mark.parametrize("cents", [0, 1, 99, 100, 101, 12345, 999_999])
@pytest.mark.parametrize("ratios", [[1], [1, 1], [1, 1, 1], [3, 7], [5, 0, 2, 2], [1] * 7])
def test_shares_always_add_up(cents: int, ratios: list[int]) -> None:
    shares = Money(cents, "EUR").allocate(ratios)
    assert sum(s.cents for s in shares) == cents
    assert all(s.currency == "EUR" for s in shares)
