import pytest
from grep import grep

FILES = {
    "a.txt": "alpha\nBeta\nbeta gamma\nALPHA\n",
    "b.txt": "gamma\nalphabet\n",
    "c.txt": "nothing here\n",
}


@pytest.fixture(autouse=True)
def files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name, text in FILES.items():
        (tmp_path / name).write_text(text, encoding="utf-8")


def test_case_insensitive():
    assert grep("alpha", ["-i"], ["a.txt"]) == "alpha\nALPHA\n"


def test_invert():
    assert grep("beta", ["-v"], ["a.txt"]) == "alpha\nBeta\nALPHA\n"


def test_whole_line():
    assert grep("beta", ["-x"], ["a.txt"]) == ""
    assert grep("alpha", ["-x"], ["a.txt", "b.txt"]) == "a.txt:alpha\n"


def test_whole_line_case_insensitive():
    assert grep("BETA", ["-x", "-i", "-n"], ["a.txt"]) == "2:Beta\n"


def test_multiple_files_prefix_name_then_number():
    out = grep("gamma", ["-n"], ["a.txt", "b.txt", "c.txt"])
    assert out == "a.txt:3:beta gamma\nb.txt:1:gamma\n"


def test_files_only_each_once_in_given_order():
    assert grep("e", ["-l"], ["b.txt", "c.txt", "a.txt"]) == "b.txt\nc.txt\na.txt\n"
    assert grep("alpha", ["-l", "-i"], ["c.txt", "a.txt", "b.txt"]) == "a.txt\nb.txt\n"


def test_files_only_with_invert():
    assert grep("gamma", ["-l", "-v", "-x"], ["a.txt", "b.txt", "c.txt"]) == "a.txt\nb.txt\nc.txt\n"
    assert grep("nothing here", ["-l", "-v", "-x"], ["c.txt"]) == ""


def test_all_flags_combined_order_independent():
    one = grep("ALPHA", ["-v", "-n", "-i"], ["a.txt", "b.txt"])
    two = grep("ALPHA", ["-i", "-v", "-n"], ["a.txt", "b.txt"])
    assert one == two == "a.txt:2:Beta\na.txt:3:beta gamma\nb.txt:1:gamma\n"


def test_pattern_is_literal_not_regex(tmp_path):
    (tmp_path / "r.txt").write_text("a.c\nabc\n(x)\n", encoding="utf-8")
    assert grep("a.c", [], ["r.txt"]) == "a.c\n"
    assert grep("(x)", ["-x"], ["r.txt"]) == "(x)\n"


def test_unknown_flag():
    with pytest.raises(ValueError, match="unknown flag: -q"):
        grep("a", ["-n", "-q"], ["a.txt"])


def test_missing_file():
    with pytest.raises(FileNotFoundError):
        grep("a", [], ["a.txt", "missing.txt"])


def test_file_without_trailing_newline(tmp_path):
    (tmp_path / "t.txt").write_text("one\ntwo", encoding="utf-8")
    assert grep("o", ["-n"], ["t.txt"]) == "1:one\n2:two\n"
