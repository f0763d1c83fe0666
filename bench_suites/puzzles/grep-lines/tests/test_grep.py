import pytest
from grep import grep

POEM = "The quick brown fox\njumps over\nthe lazy dog\nQuick thinking\n"


@pytest.fixture
def poem(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "poem.txt").write_text(POEM, encoding="utf-8")
    return "poem.txt"


def test_plain_match(poem):
    assert grep("quick", [], [poem]) == "The quick brown fox\n"


def test_line_numbers(poem):
    assert grep("the", ["-n"], [poem]) == "3:the lazy dog\n"


def test_no_match_gives_empty_string(poem):
    assert grep("cat", [], [poem]) == ""
