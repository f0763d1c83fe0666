import pytest

from pennies import CurrencyMismatch, Money


@pytest.mark.parametrize(
    ("text", "cents"),
    [("12", 1200), ("12.3", 1230), ("12.30", 1230), ("0.05", 5), ("-1.50", -150), (" 7.01 ", 701)],
)
def test_parse(text: str, cents: int) -> None:
    assert Money.parse(text, "EUR") == Money(cents, "EUR")


@pytest.mark.parametrize("text", ["", "1.234", "1,50", "abc", "--1"])
def test_parse_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="not an amount"):
        Money.parse(text, "EUR")


def test_arithmetic_is_exact() -> None:
    total = Money(0, "EUR")
    for _ in range(10):
        total = total + Money.parse("0.10", "EUR")
    assert total == Money(100, "EUR")
    assert Money(500, "EUR") - Money(125, "EUR") == Money(375, "EUR")
    assert 3 * Money(33, "EUR") == Money(99, "EUR") == Money(33, "EUR") * 3


def test_currencies_do_not_mix() -> None:
    with pytest.raises(CurrencyMismatch, match="EUR with USD"):
        Money(1, "EUR") + Money(1, "USD")
    with pytest.raises(CurrencyMismatch):
        _ = Money(1, "EUR") < Money(2, "USD")


def test_validation() -> None:
    with pytest.raises(TypeError):
        Money(1.5, "EUR")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="three-letter"):
        Money(1, "euro")


@pytest.mark.parametrize(("cents", "shown"), [(0, "0.00 EUR"), (5, "0.05 EUR"), (-1205, "-12.05 EUR")])
def test_str(cents: int, shown: str) -> None:
    assert str(Money(cents, "EUR")) == shown
