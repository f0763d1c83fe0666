import pytest

from tinyini import ParseError, parse


def test_sections_and_pairs() -> None:
    text = "[server]\nhost = example.org\nport = 8080\n\n[client]\nretries = 3\n"
    assert parse(text) == {
        "": {},
        "server": {"host": "example.org", "port": "8080"},
        "client": {"retries": "3"},
    }


def test_pairs_before_first_section_use_default_section() -> None:
    assert parse("name = demo\n[a]\nx = 1\n")[""] == {"name": "demo"}


def test_colon_delimiter() -> None:
    assert parse("[s]\ncolour: blue\n")["s"] == {"colour": "blue"}


def test_comments_and_blank_lines_are_skipped() -> None:
    text = "# top\n; also a comment\n\n[s]\n  # indented comment\nk = v\n"
    assert parse(text)["s"] == {"k": "v"}


def test_keys_are_lower_cased_and_values_stripped() -> None:
    assert parse("[s]\n  MaxSize   =   10 MB  \n")["s"] == {"maxsize": "10 MB"}


def test_repeated_section_merges() -> None:
    assert parse("[s]\na = 1\n[t]\n[s]\nb = 2\n")["s"] == {"a": "1", "b": "2"}


@pytest.mark.parametrize(
    ("text", "lineno"),
    [("[s]\njust words\n", 2), ("[s\n", 1), ("[]\n", 1), ("[s]\n = value\n", 2)],
)
def test_errors_name_the_line(text: str, lineno: int) -> None:
    with pytest.raises(ParseError) as info:
        parse(text)
    assert info.value.lineno == lineno
    assert str(info.value).startswith(f"line {lineno}:")


def test_value_may_contain_equals_sign() -> None:
    text = "[db]\nurl = postgres://db/app?sslmode=require&x=1\n"
    assert parse(text)["db"] == {"url": "postgres://db/app?sslmode=require&x=1"}


def test_equals_value_may_contain_colon() -> None:
    assert parse("[s]\nopens = 09:30\n")["s"] == {"opens": "09:30"}


def test_colon_pair_value_may_contain_equals_sign() -> None:
    assert parse("[s]\nfilter: level=warn\n")["s"] == {"filter": "level=warn"}


def test_first_delimiter_wins_with_both_kinds() -> None:
    text = "[s]\nproxy = http://p:3128/?a=b\nrule: a=b:c\n"
    assert parse(text)["s"] == {"proxy": "http://p:3128/?a=b", "rule": "a=b:c"}
