import pytest

from semverlite import InvalidVersion, Version


def test_parse_full() -> None:
    v = Version.parse("1.4.0-rc.2+build.7")
    assert (v.major, v.minor, v.patch) == (1, 4, 0)
    assert v.prerelease == ("rc", "2")
    assert v.build == ("build", "7")
    assert v.is_prerelease


@pytest.mark.parametrize("text", ["0.0.0", "1.2.3", "10.20.30", "1.0.0-alpha", "1.0.0+exp.sha.5114f85"])
def test_round_trip(text: str) -> None:
    assert str(Version.parse(text)) == text


@pytest.mark.parametrize("text", ["1.2", "v1.2.3", "01.2.3", "1.2.3-", "1.2.3-rc..1", "1.2.3-01", "1.2.3+"])
def test_invalid(text: str) -> None:
    with pytest.raises(InvalidVersion, match="1.2"):
        Version.parse(text)


def test_bump() -> None:
    v = Version.parse("1.4.2-rc.1+b5")
    assert str(v.bump("major")) == "2.0.0"
    assert str(v.bump("minor")) == "1.5.0"
    assert str(v.bump("patch")) == "1.4.3"
    with pytest.raises(ValueError, match="part must be"):
        v.bump("build")
