import pytest

from semverlite import Version, compare, latest


@pytest.mark.parametrize(
    ("low", "high"),
    [("1.0.0", "2.0.0"), ("2.0.0", "2.1.0"), ("2.1.0", "2.1.1"), ("1.9.0", "1.10.0"), ("1.0.0-alpha", "1.0.0-beta")],
)
def test_ordering(low: str, high: str) -> None:
    assert compare(low, high) == -1
    assert compare(high, low) == 1
    assert Version.parse(low) < Version.parse(high)
    assert Version.parse(high) >= Version.parse(low)


def test_build_metadata_is_ignored() -> None:
    assert compare("1.0.0+a", "1.0.0+b") == 0
    assert Version.parse("1.0.0+a") <= Version.parse("1.0.0+b")


def test_latest_skips_prereleases_by_default() -> None:
    assert latest(["1.2.0", "1.10.0", "1.9.9"]) == "1.10.0"
    assert latest(["0.1.0-rc.1"]) is None
    assert latest([]) is None
