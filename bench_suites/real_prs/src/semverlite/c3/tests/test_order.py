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


@pytest.mark.parametrize(
    ("low", "high"),
    [
        ("1.0.0-rc.1", "1.0.0"),
        ("1.0.0-alpha", "1.0.0-alpha.1"),
        ("1.0.0-alpha.1", "1.0.0-alpha.beta"),
        ("1.0.0-beta.2", "1.0.0-beta.11"),
        ("1.0.0-rc.9", "1.0.0-rc.10"),
        ("1.0.0-99", "1.0.0-a"),
    ],
)
def test_prerelease_precedence(low: str, high: str) -> None:
    assert compare(low, high) == -1
    assert compare(high, low) == 1
    assert Version.parse(low) < Version.parse(high)


def test_sorting_a_release_train() -> None:
    train = ["1.0.0", "1.0.0-rc.10", "1.0.0-alpha", "1.0.0-rc.2", "1.0.0-beta", "0.9.9"]
    ordered = [str(v) for v in sorted(Version.parse(t) for t in train)]
    assert ordered == ["0.9.9", "1.0.0-alpha", "1.0.0-beta", "1.0.0-rc.2", "1.0.0-rc.10", "1.0.0"]


def test_latest_with_prereleases() -> None:
    assert latest(["2.0.0-rc.1", "1.5.0"], include_prereleases=True) == "2.0.0-rc.1"
    assert latest(["2.0.0-rc.2", "2.0.0-rc.12", "2.0.0"], include_prereleases=True) == "2.0.0"
