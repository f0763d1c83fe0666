"""Checks for d3-extract-row-helper, run by the cases scorer: behaviour cases return what they observed (the
``expect=`` literals are stripped before this file enters the sandbox); the structural checks read the
candidate's source on the harness's side (``verdicts.py``), never an inspection made in here."""

import inspect
from datetime import date

import reports.exporters as ex
from hybrid_cases import case
from reports.exporters import export_csv, export_markdown

ROWS = [
    {"name": " Widget ", "price": 3.5, "in_stock": True, "added": date(2024, 1, 5)},
    {"name": "Gadget, large", "price": None, "in_stock": False, "added": date(2023, 12, 1)},
    {"name": "Pipe|Fitting", "price": 12.0, "in_stock": True, "qty": 4},
]
COLS = ["name", "price", "in_stock", "added"]

# -- the visible tests, repeated: the verdict comes only from here --------------------------------------


@case(expect="name,price,in_stock,added\nWidget,3.50,yes,2024-01-05\n\"Gadget, large\",,no,2023-12-01\n"
             "Pipe|Fitting,12.00,yes,\n")
def visible_csv_export():
    return export_csv(ROWS, COLS)


@case(expect="| name | qty |\n|---|---|\n| Widget |  |\n| Gadget, large |  |\n| Pipe\\|Fitting | 4 |\n")
def visible_markdown_export_escapes_pipes():
    return export_markdown(ROWS, ["name", "qty"])


@case(expect=[["Widget,3.50", "Pipe|Fitting,12.00", '"Gadget, large",'],
              ["| Gadget, large |", "| Widget |", "| Pipe\\|Fitting |"]])
def visible_sorting_puts_missing_values_last():
    return [export_csv(ROWS, ["name", "price"], sort_by="price").splitlines()[1:],
            export_markdown(ROWS, ["name"], sort_by="added").splitlines()[2:]]


# -- hidden --------------------------------------------------------------------------------------------


@case(expect=[["rows", "columns", "sort_by"], [["", "1.23"], ["2020-02-02", "yes"], ["x", ""]], [["1"], ["2"], [""]]])
def normalize_rows_behaviour():
    rows = [{"a": 1.234, "b": None}, {"a": True, "b": date(2020, 2, 2)}, {"b": "  x "}]
    return [list(inspect.signature(ex.normalize_rows).parameters), ex.normalize_rows(rows, ["b", "a"]),
            ex.normalize_rows([{"k": 2}, {}, {"k": 1}], ["k"], sort_by="k")]


@case(check="both_exporters_use_the_helper")
def both_exporters_use_the_helper():
    return None  # judged from reports/exporters.py's source, on the harness's side


@case(check="duplicated_logic_is_gone")
def duplicated_logic_is_gone():
    return None  # judged from reports/exporters.py's source, on the harness's side
