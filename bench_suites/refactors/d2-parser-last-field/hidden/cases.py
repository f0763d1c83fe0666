"""Checks for d2-parser-last-field, run by the cases scorer: each case returns what it observed; the
``expect=`` literals are stripped before this file enters the sandbox and compared outside it."""

from hybrid_cases import attempt, case, raised
from records.split import split_line
from records.table import read_table

# -- the visible tests, repeated: the verdict comes only from here --------------------------------------


@case(expect=[["ann", "42", "oslo"], ["Smith, J", "7"], ['say "hi"', "x"]])
def visible_plain_and_quoted_fields():
    return [split_line("ann,42,oslo"), split_line('"Smith, J",7'), split_line('"say ""hi""",x')]


@case(expect=[["a", "", "c"], ["a", "b", "c"]])
def visible_empty_middle_field_and_other_separator():
    return [split_line("a,,c"), split_line("a;b;c", sep=";")]


@case(expect=[{"name": "ann", "age": "42", "city": "oslo"}, {"name": "bo", "age": "7", "city": "rome, it"}])
def visible_read_table():
    text = "name,age,city\nann,42,oslo\n\nbo,7,\"rome, it\"\n"
    return read_table(text)


@case(expect=raised("TableError"))
def visible_read_table_rejects_short_rows():
    return read_table("a,b,c\n1,2\n")


# -- hidden --------------------------------------------------------------------------------------------


@case(expect=[["ann", "42", ""], ["a", "", ""]])
def trailing_empty_field_is_kept():
    return [split_line("ann,42,"), split_line("a;;", sep=";")]


@case(expect=[["ann", "42", ""], [""]])
def quoted_empty_last_field_is_kept():
    return [split_line('ann,42,""'), split_line('""')]


@case(expect=[{"name": "ann", "age": "42", "note": ""}, {"name": "bo", "age": "7", "note": ""},
              {"name": "cy", "age": "9", "note": "ok"}])
def table_with_empty_last_column():
    text = 'name,age,note\nann,42,\nbo,7,""\ncy,9,ok\n'
    return read_table(text)


@case(expect=[raised("TableError"), raised("TableError")])
def really_short_rows_still_rejected():
    return [attempt(read_table, "a,b,c\nann,42\n"), attempt(read_table, "a,b\n1,2,\n")]
