import pytest
from records.split import split_line
from records.table import TableError, read_table


def test_plain_and_quoted_fields():
    assert split_line("ann,42,oslo") == ["ann", "42", "oslo"]
    assert split_line('"Smith, J",7') == ["Smith, J", "7"]
    assert split_line('"say ""hi""",x') == ['say "hi"', "x"]


def test_empty_middle_field_and_other_separator():
    assert split_line("a,,c") == ["a", "", "c"]
    assert split_line("a;b;c", sep=";") == ["a", "b", "c"]


def test_read_table():
    text = "name,age,city\nann,42,oslo\n\nbo,7,\"rome, it\"\n"
    assert read_table(text) == [
        {"name": "ann", "age": "42", "city": "oslo"},
        {"name": "bo", "age": "7", "city": "rome, it"},
    ]


def test_read_table_rejects_short_rows():
    with pytest.raises(TableError):
        read_table("a,b,c\n1,2\n")
