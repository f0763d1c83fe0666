import pytest
from records.split import split_line
from records.table import TableError, read_table


def test_trailing_empty_field_is_kept():
    assert split_line("ann,42,") == ["ann", "42", ""]
    assert split_line("a;;", sep=";") == ["a", "", ""]


def test_quoted_empty_last_field_is_kept():
    assert split_line('ann,42,""') == ["ann", "42", ""]
    assert split_line('""') == [""]


def test_table_with_empty_last_column():
    text = 'name,age,note\nann,42,\nbo,7,""\ncy,9,ok\n'
    assert read_table(text) == [
        {"name": "ann", "age": "42", "note": ""},
        {"name": "bo", "age": "7", "note": ""},
        {"name": "cy", "age": "9", "note": "ok"},
    ]


def test_really_short_rows_still_rejected():
    with pytest.raises(TableError):
        read_table("a,b,c\nann,42\n")
    with pytest.raises(TableError):
        read_table("a,b\n1,2,\n")
